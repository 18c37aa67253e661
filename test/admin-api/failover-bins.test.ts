import { createServer, type Server } from 'node:net';
import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisCluster,
  type RedisSentinel,
  type RedisServer,
  startRedisCluster,
  startRedisSentinel,
  waitUntil,
} from '../harness/index.js';
import { AS_OPERATOR, tokenConfig } from './admin-fixtures.js';
import { type RunningBin, runBin, startBin } from './bins.js';

/**
 * `breakwater-admin` as a child process, configured by environment for Redis
 * behind Sentinel and for a Redis Cluster with replicas (real processes), through
 * failovers: /readyz follows the master, a force-open after a failover lands on
 * the new master and reaches a pod, and every mutation waits for a replica
 * (`WAIT 1`), logging when none took it in time, which is when a failover undoes it.
 */

const PREFIX = 'bwadmin';
const NOT_REPLICATED = 'change in force on the Redis master but not yet on a replica: a failover now would undo it';
const children: RunningBin[] = [];
const clients: Array<Redis | Cluster> = [];
const pods: ClusterBreaker[] = [];

afterEach(async () => {
  await Promise.all(pods.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
  for (const c of clients) c.disconnect();
});

function track<T extends Redis | Cluster>(client: T): T {
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Starts breakwater-admin with these variables (plus tokens, port, prefix) and waits until it is ready. */
async function startAdmin(env: Record<string, string>): Promise<{ bin: RunningBin; url: string }> {
  const bin = startBin('breakwater-admin', [], {
    ...env,
    BREAKWATER_KEY_PREFIX: PREFIX,
    BREAKWATER_ADMIN_TOKENS: JSON.stringify(tokenConfig(Date.now())),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  children.push(bin);
  const listening = await bin.waitForLine((l) => l.includes('"msg":"breakwater-admin listening"'));
  const url = JSON.parse(listening).url as string;
  await waitForReady(url);
  return { bin, url };
}

async function waitForReady(url: string): Promise<void> {
  await waitUntil(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
    what: '/readyz answering 200',
    timeoutMs: 30_000,
  });
}

async function post(
  url: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get(url: string, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { headers: AS_OPERATOR });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** The breaker's override as `node` alone holds it (a replica answers reads too; a cluster replica after READONLY). */
async function overrideOn(
  node: RedisServer,
  options: { password?: string; cluster?: boolean } = {},
): Promise<string | null> {
  const c = track(new Redis({ port: node.port, password: options.password, maxRetriesPerRequest: 0 }));
  try {
    if (options.cluster) await c.call('READONLY');
    return await c.hget(breakerKeys(PREFIX, 'pusher').state, 'ovMode');
  } finally {
    c.disconnect();
  }
}

function warnings(bin: RunningBin): Array<Record<string, unknown>> {
  return bin.stdout.filter((l) => l.includes(NOT_REPLICATED)).map((l) => JSON.parse(l));
}

describe('breakwater-admin behind Sentinel', () => {
  const password = 'data-secret-2';
  const sentinelPassword = 'sentinel-secret-2';
  let sentinel: RedisSentinel;
  let admin: { bin: RunningBin; url: string };

  beforeAll(async () => {
    sentinel = await startRedisSentinel({
      replicas: 1,
      sentinels: 3,
      masterName: 'breakers',
      password,
      sentinelPassword,
    });
    const client = track(new Redis(sentinel.redisOptions()));
    await new RedisBreakerStore({ client, prefix: PREFIX }).register('pusher');
    admin = await startAdmin({
      BREAKWATER_REDIS_SENTINELS: sentinel.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      BREAKWATER_REDIS_SENTINEL_NAME: 'breakers',
      BREAKWATER_REDIS_PASSWORD: password,
      BREAKWATER_REDIS_SENTINEL_PASSWORD: sentinelPassword,
    });
    expect(
      JSON.parse(admin.bin.stdout.find((l) => l.includes('"msg":"breakwater-admin listening"')) ?? '{}').redis,
    ).toEqual({
      topology: 'sentinel',
      name: 'breakers',
      sentinels: 3,
    });
  });

  afterEach(async () => {
    await sentinel.resumeReplication();
    for (const n of sentinel.dataNodes) if (!n.isRunning()) await n.restart();
    await sentinel.waitUntilHealthy(60_000);
  });

  afterAll(async () => {
    await sentinel?.stop();
  });

  it('SIGKILL of the master: /readyz comes back on the promoted replica; a force-open lands there, on its replica and on a pod', async () => {
    const pod = await createClusterBreaker({
      name: 'pusher',
      redis: sentinel.redisOptions(),
      prefix: PREFIX,
      podId: 'pod-a',
    });
    pods.push(pod);
    // /readyz while there is no master to reach (a second at least: down-after-milliseconds).
    const readyz: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        readyz.push((await fetch(`${admin.url}/readyz`)).status);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const { from, to } = await sentinel.killMaster();
    await waitForReady(admin.url);
    sampling = false;
    await sampler;
    expect(readyz).toContain(503);
    await from.restart(); // back as the new master's replica, so the WAIT has one to count
    await sentinel.waitUntilHealthy();

    const before = warnings(admin.bin).length;
    const opened = await post(admin.url, '/v1/breakers/pusher/force-open', {
      reason: 'after failover',
      ttlSeconds: 600,
    });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ state: 'forced_open', override: { actor: 'olga', reason: 'after failover' } });
    expect(await overrideOn(to, { password })).toBe('forced_open');
    expect(await overrideOn(from, { password })).toBe('forced_open'); // the replica had it before the answer
    expect(warnings(admin.bin)).toHaveLength(before);
    await waitUntil(() => pod.state === 'forced_open', { what: 'the force-open reached the pod' });
    expect(
      (await fetch(`${admin.url}/v1/breakers/pusher/override?reason=done`, { method: 'DELETE', headers: AS_OPERATOR }))
        .status,
    ).toBe(200);
  });

  it('SENTINEL FAILOVER: /readyz follows, and a force-close lands on the new master', async () => {
    const { to } = await sentinel.failover();
    await waitForReady(admin.url);
    const closed = await post(admin.url, '/v1/breakers/pusher/force-close', {
      reason: 'manual failover',
      ttlSeconds: 600,
    });
    expect(closed.status).toBe(200);
    expect(await overrideOn(to, { password })).toBe('forced_closed');
    const cleared = await fetch(`${admin.url}/v1/breakers/pusher/override?reason=done`, {
      method: 'DELETE',
      headers: AS_OPERATOR,
    });
    expect(cleared.status).toBe(200);
  });

  it('a change a replica acknowledged survives a failover; one none acknowledged is logged, and undone by one', async () => {
    const kept = await post(admin.url, '/v1/breakers/pusher/force-open', { reason: 'INC-1', ttlSeconds: 600 });
    expect(kept.status).toBe(200);
    const generation = kept.body.generation as number;
    const before = warnings(admin.bin).length;
    await sentinel.killMaster();
    await waitForReady(admin.url);
    expect(await get(admin.url, '/v1/breakers/pusher')).toMatchObject({ state: 'forced_open', generation });
    for (const n of sentinel.dataNodes) if (!n.isRunning()) await n.restart();
    await sentinel.waitUntilHealthy();

    await sentinel.stallReplication();
    const lost = await post(admin.url, '/v1/breakers/pusher/force-close', { reason: 'INC-2', ttlSeconds: 600 });
    // The change is in force on the master (and on every pod that heard it): the answer says so.
    expect(lost.status).toBe(200);
    expect(lost.body).toMatchObject({ state: 'forced_closed', generation: generation + 1 });
    await waitUntil(() => warnings(admin.bin).length > before, { what: 'the warning' });
    expect(warnings(admin.bin).at(-1)).toMatchObject({
      level: 40,
      breaker: 'pusher',
      action: 'force_close',
      generation: generation + 1,
      wanted: 1,
      acknowledged: 0,
    });
    await sentinel.killMaster();
    await waitForReady(admin.url);
    // Undone: the override, its generation and its audit entry are gone.
    expect(await get(admin.url, '/v1/breakers/pusher')).toMatchObject({ state: 'forced_open', generation });
    const audit = (await get(admin.url, '/v1/breakers/pusher/audit')).entries as Array<{ reason: string }>;
    expect(audit.map((e) => e.reason)).toContain('INC-1');
    expect(audit.map((e) => e.reason)).not.toContain('INC-2');
  });

  it('a switch announced while it is still asking the sentinels: the admin API keeps its connections', async () => {
    // ioredis's failover detector (still subscribed on the connection that just broke) hears the
    // sentinels announce the new master while the reconnect is asking them for it; it abandons that
    // connect and ioredis ends the connection for good: every request answered 503 from then on
    // (18 of 18 force-open/clear on Sentinel in the chaos campaign, on a machine whose sentinels
    // answered slowly). Made certain here: new connections to the sentinels are refused (their
    // password changed; the detector's subscriptions, authenticated before, still hear them) from
    // before the master dies until after the switch.
    const bySentinel = sentinel.sentinels.map((n) =>
      track(new Redis({ port: n.port, password: sentinelPassword, maxRetriesPerRequest: 0 })),
    );
    const setSentinelPassword = (to: string) =>
      Promise.all(bySentinel.map((c) => c.call('ACL', 'SETUSER', 'default', 'resetpass', `>${to}`)));
    const from = await sentinel.master();
    const asked = bySentinel[1] as Redis;
    const namedPort = async () =>
      Number(((await asked.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'breakers')) as string[])[1]);
    await setSentinelPassword('locked-out');
    try {
      await from.kill();
      await waitUntil(async () => (await namedPort()) !== from.port, { what: 'the switch', timeoutMs: 30_000 });
    } finally {
      await setSentinelPassword(sentinelPassword);
    }
    const { to } = await sentinel.waitForFailover(from, 60_000);
    await waitForReady(admin.url);
    const opened = await post(admin.url, '/v1/breakers/pusher/force-open', {
      reason: 'after the switch',
      ttlSeconds: 600,
    });
    expect(opened.status).toBe(200);
    expect(await overrideOn(to, { password })).toBe('forced_open');
    const cleared = await fetch(`${admin.url}/v1/breakers/pusher/override?reason=done`, {
      method: 'DELETE',
      headers: AS_OPERATOR,
    });
    expect(cleared.status).toBe(200);
  });
});

describe('breakwater-admin on a Redis Cluster with replicas', () => {
  let cluster: RedisCluster;
  let admin: { bin: RunningBin; url: string };
  const stateKey = breakerKeys(PREFIX, 'pusher').state;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const client = track(new Cluster([...cluster.startupNodes]));
    await new RedisBreakerStore({ client, prefix: PREFIX }).register('pusher');
    admin = await startAdmin({
      BREAKWATER_REDIS_CLUSTER_NODES: cluster.startupNodes
        .slice(0, 2)
        .map((n) => `${n.host}:${n.port}`)
        .join(','),
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('CLUSTER FAILOVER, then SIGKILL of the new master: /readyz follows, force-open and force-close land on the owner', async () => {
    const pod = await createClusterBreaker({
      name: 'pusher',
      redis: track(new Cluster([...cluster.startupNodes], { lazyConnect: true })),
      prefix: PREFIX,
      podId: 'pod-a',
    });
    pods.push(pod);
    const before = warnings(admin.bin).length;

    const first = await cluster.failover(await cluster.nodeForKey(stateKey));
    await waitForReady(admin.url);
    const opened = await post(admin.url, '/v1/breakers/pusher/force-open', {
      reason: 'after failover',
      ttlSeconds: 600,
    });
    expect(opened.status).toBe(200);
    expect(await overrideOn(first.to, { cluster: true })).toBe('forced_open');
    expect(await overrideOn(first.from, { cluster: true })).toBe('forced_open'); // now its replica, which acknowledged
    expect(warnings(admin.bin)).toHaveLength(before);
    await waitUntil(() => pod.state === 'forced_open', { what: 'the force-open reached the pod' });

    const second = await cluster.killMaster(first.to);
    await waitForReady(admin.url);
    expect(second.to).toBe(first.from);
    const closed = await post(admin.url, '/v1/breakers/pusher/force-close', {
      reason: 'after the kill',
      ttlSeconds: 600,
    });
    expect(closed.status).toBe(200);
    expect(await overrideOn(second.to, { cluster: true })).toBe('forced_closed');
    // The promoted node has no replica left: the answer is the same, the log says a failover would undo it.
    await waitUntil(() => warnings(admin.bin).length > before, { what: 'the warning' });
    expect(warnings(admin.bin).at(-1)).toMatchObject({ action: 'force_close', acknowledged: 0 });
    await waitUntil(() => pod.state === 'forced_closed', { what: 'the force-close reached the pod' });
  });
});

describe('breakwater-admin refuses a bad Redis topology before opening any connection', () => {
  let listener: Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it.each<[string, Record<string, string>, string]>([
    ['sentinels without a master name', { BREAKWATER_REDIS_SENTINELS: 'HERE' }, 'BREAKWATER_REDIS_SENTINEL_NAME'],
    [
      'two topologies',
      { BREAKWATER_REDIS_CLUSTER_NODES: 'HERE', REDIS_URL: 'redis://HERE' },
      'BREAKWATER_REDIS_CLUSTER_NODES',
    ],
    ['a node without a port', { BREAKWATER_REDIS_CLUSTER_NODES: '127.0.0.1' }, 'BREAKWATER_REDIS_CLUSTER_NODES'],
  ])('%s: exit 2, naming the variable', async (_, env, variable) => {
    const here = `127.0.0.1:${port}`;
    const filled = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('HERE', here)]));
    const result = await runBin('breakwater-admin', [], {
      ...filled,
      BREAKWATER_ADMIN_TOKENS: JSON.stringify(tokenConfig(Date.now())),
      PORT: '0',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`breakwater-admin: ${variable}:`);
    expect(result.stdout).not.toContain('listening');
    expect(connections).toBe(0);
  });
});
