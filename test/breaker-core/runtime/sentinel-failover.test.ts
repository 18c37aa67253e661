import {
  type ClusterBreaker,
  type ClusterBreakerOptions,
  createClusterBreaker,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisSentinel, type RedisServer, startRedisSentinel } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * Pods behind Redis Sentinel (one master, one replica, three sentinels, all real
 * processes) through failovers: `createClusterBreaker({ redis: { sentinels, name } })`
 * and a Sentinel-configured ioredis `Redis` the breaker duplicates. Every pod's
 * periodic resync is pushed out to 60 s, so what a pod learns after a failover it
 * learns from the reconnect's own resync (or rejoin) and from pub/sub.
 */

const RESYNC_OFF = 60_000;
const CONFIG = { failureThreshold: 5, minFailureRatio: 0, cooldownMs: 60_000 };

let sentinel: RedisSentinel;
/** Each test has a breaker of its own on the one deployment. */
let name = 'pusher-0';
const pods: ClusterBreaker[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3, masterName: 'mymaster' });
});

beforeEach((test) => {
  name = `pusher-${test.task.id}`;
});

afterEach(async () => {
  await Promise.all(pods.splice(0).map((b) => b.close()));
  for (const c of clients.splice(0)) c.disconnect();
  // Back to one master and one replica in sync for the next test, whatever this one did.
  await sentinel.resumeReplication();
  for (const s of sentinel.sentinels) if (s.isPaused()) await s.resume();
  for (const n of sentinel.dataNodes) if (n.isPaused()) await n.resume();
  for (const n of sentinel.dataNodes) if (!n.isRunning()) await n.restart();
  await sentinel.waitUntilHealthy(60_000);
});

afterAll(async () => {
  await sentinel?.stop();
});

async function pod(podId: string, extra: Partial<ClusterBreakerOptions> = {}): Promise<ClusterBreaker> {
  const b = await createClusterBreaker({
    name,
    redis: sentinel.redisOptions(),
    podId,
    prefix: 'bw',
    resyncIntervalMs: RESYNC_OFF,
    config: CONFIG,
    ...extra,
  });
  pods.push(b);
  return b;
}

/** A plain connection to one data node, as an operator would look at it (one per node and test). */
function direct(node: RedisServer): Redis {
  const known = clients.find((c) => c.options.port === node.port);
  if (known) return known;
  const c = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** The breaker as the master the sentinels name now holds it. */
async function inRedis(): Promise<{ state: string; generation: number }> {
  const store = new RedisBreakerStore({ client: direct(await sentinel.master()) });
  const { state, generation } = await store.snapshot(name);
  return { state, generation };
}

async function subscribedOn(node: RedisServer, count: number, what: string): Promise<void> {
  const c = direct(node);
  const channel = breakerKeys('bw', name).channel;
  await waitUntil(async () => ((await c.pubsub('NUMSUB', channel)) as [string, number])[1] === count, {
    what,
    timeoutMs: 30_000,
  });
}

/** Client connections on `node` other than the sentinels', the replicas' and the test's own. */
async function appConnections(node: RedisServer): Promise<number> {
  const c = direct(node);
  const own = await c.client('ID');
  const list = String(await c.client('LIST'));
  return list
    .split('\n')
    .filter((line) => line.startsWith('id='))
    .filter((line) => !/ name=sentinel-/.test(line) && !/ flags=\S*[SM]/.test(line) && !line.startsWith(`id=${own} `))
    .length;
}

/** Every pod on the shared store, in the state and generation Redis holds. */
async function agreeWithRedis(fleet: readonly ClusterBreaker[], what: string): Promise<void> {
  await waitUntil(
    async () => {
      const held = await inRedis().catch(() => undefined);
      return (
        held !== undefined &&
        fleet.every((b) => b.source === 'shared' && b.state === held.state && b.generation === held.generation)
      );
    },
    { what, timeoutMs: 30_000 },
  );
}

describe('pods behind Sentinel', () => {
  it('take RedisOptions or a Sentinel-configured Redis, and trip together by pub/sub', async () => {
    const yours = new Redis({ ...sentinel.redisOptions(), lazyConnect: true });
    clients.push(yours);
    const a = await pod('pod-a');
    const b = await pod('pod-b', { redis: yours });
    expect([a.source, b.source]).toEqual(['shared', 'shared']);
    await subscribedOn(await sentinel.master(), 2, 'both pods subscribed on the master');
    const causes: string[] = [];
    b.onStateChange((e) => causes.push(e.cause));
    for (let i = 0; i < 5; i++) a.recordFailure();
    await waitUntil(() => b.state === 'open', { what: 'the trip reached pod-b' });
    expect(causes).toEqual(['trip']); // by pub/sub: a resync would say 'resync'
    expect(await inRedis()).toEqual({ state: 'open', generation: 1 });
  });

  it('SENTINEL FAILOVER: pods leave the old master at the switch, so a trip right after it is not lost', async () => {
    const fleet = [await pod('pod-a'), await pod('pod-b'), await pod('pod-c')];
    const from = await sentinel.master();
    const { generation } = await inRedis();
    // The sentinels promote the replica at once but leave the old master a writable master
    // until they next read its INFO (~10 s): a pod still connected to it would trip there.
    const s = new Redis({ port: sentinel.sentinels[0]?.port, maxRetriesPerRequest: 0 });
    clients.push(s);
    await s.call('SENTINEL', 'FAILOVER', 'mymaster');
    await waitUntil(async () => (await sentinel.master()) !== from, { what: 'the switch', timeoutMs: 30_000 });
    const to = await sentinel.master();
    await waitUntil(async () => (await appConnections(from)) === 0, {
      what: 'every pod connection left the old master',
      timeoutMs: 30_000,
    });
    // …while it is still a master: the pods followed the sentinels' announcement, not its demotion.
    expect((await sentinel.info(from)).role).toBe('master');
    await subscribedOn(to, 3, 'every pod subscribed on the new master');
    await waitUntil(() => fleet.every((b) => b.source === 'shared'), { what: 'every pod back on Redis' });

    for (let i = 0; i < 5; i++) fleet[0]?.recordFailure();
    await waitUntil(() => fleet.every((b) => b.state === 'open'), { what: 'every pod tripped' });
    expect(await inRedis()).toEqual({ state: 'open', generation: generation + 1 });
    // Once the sentinels have made the old master a replica (and it resynced), the trip is still there.
    expect(await sentinel.waitUntilHealthy(60_000)).toBe(to);
    expect(await sentinel.info(from)).toMatchObject({ role: 'slave', master_port: String(to.port) });
    await agreeWithRedis(fleet, 'every pod on the state the new master holds');
    expect((await inRedis()).state).toBe('open');
  });

  it('SIGKILL of the master: pods fall back, rejoin the promoted replica and hear its transitions', async () => {
    const fleet = [await pod('pod-a'), await pod('pod-b'), await pod('pod-c')];
    const degraded = new Set<string>();
    for (const b of fleet) b.onStoreDegraded(() => degraded.add(b.podId));
    const before = await inRedis();
    const traffic = setInterval(() => {
      for (const b of fleet) b.recordSuccess();
    }, 20);
    try {
      const { to } = await sentinel.killMaster();
      await agreeWithRedis(fleet, 'every pod rejoined on the promoted replica');
      expect(await inRedis()).toEqual(before);
      expect(degraded.size).toBeGreaterThan(0);
      await subscribedOn(to, 3, 'every pod subscribed on the new master');
    } finally {
      clearInterval(traffic);
    }
    const causes: string[] = [];
    fleet[2]?.onStateChange((e) => causes.push(e.cause));
    for (let i = 0; i < 10; i++) fleet[0]?.recordFailure();
    await waitUntil(() => fleet.every((b) => b.state === 'open'), { what: 'the trip reached every pod' });
    expect(causes).toEqual(['trip']);
  });

  it('a stalled sentinel does not keep pods from finding the new master', async () => {
    const fleet = [await pod('pod-a'), await pod('pod-b')];
    // The first sentinel in every pod's list accepts connections and never answers.
    await sentinel.sentinels[0]?.pause();
    const before = await inRedis();
    const { to } = await sentinel.killMaster(60_000);
    await agreeWithRedis(fleet, 'every pod found the new master past the stalled sentinel');
    expect(await inRedis()).toEqual(before);
    await subscribedOn(to, 2, 'every pod subscribed on the new master');
  });
});
