import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Cluster, Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisCluster, type RedisServer, startRedisCluster } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * Pods on a Redis Cluster with replicas (3 masters + 3 replicas, real processes),
 * given an ioredis `Cluster` they duplicate, through a coordinated failover and
 * the death of the breaker's master. Each test has a cluster of its own. Where a
 * test checks pub/sub, the pods' periodic resync is pushed out to 60 s, so a
 * pod learns a transition from the channel (a resync would say so in the
 * event's cause). A pod that fell back rejoins on a resync (or when its
 * connection becomes ready again, which a Cluster's does not when one node
 * dies), so the test that kills the breaker's master keeps the default 1 s.
 */

const RESYNC_OFF = 60_000;
const CONFIG = { failureThreshold: 5, minFailureRatio: 0, cooldownMs: 60_000 };
const STATE_KEY = breakerKeys('bw', 'pusher').state;
const CHANNEL = breakerKeys('bw', 'pusher').channel;

let cluster: RedisCluster;
let yours: Cluster;
const pods: ClusterBreaker[] = [];
const clients: Redis[] = [];

beforeEach(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  yours = new Cluster([...cluster.startupNodes], { lazyConnect: true });
  yours.on('error', () => {});
});

afterEach(async () => {
  await Promise.all(pods.splice(0).map((b) => b.close()));
  for (const c of clients.splice(0)) c.disconnect();
  yours?.disconnect();
  await cluster?.stop();
});

async function fleet(count: number, resyncIntervalMs = RESYNC_OFF): Promise<ClusterBreaker[]> {
  for (let i = 0; i < count; i++) {
    pods.push(
      await createClusterBreaker({ name: 'pusher', redis: yours, podId: `pod-${i}`, resyncIntervalMs, config: CONFIG }),
    );
  }
  await subscribed(count, 'every pod subscribed');
  return pods.slice(-count);
}

function direct(node: RedisServer): Redis {
  const c = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** The breaker as the master that owns its slot now holds it. */
async function inRedis(): Promise<{ state: string; generation: number }> {
  const { state, generation } = await new RedisBreakerStore({
    client: direct(await cluster.nodeForKey(STATE_KEY)),
  }).snapshot('pusher');
  return { state, generation };
}

/** Subscriptions to the breaker's channel, per live node (a cluster's pub/sub reaches every node). */
async function subscribers(): Promise<Map<RedisServer, number>> {
  const counts = new Map<RedisServer, number>();
  for (const node of cluster.nodes.filter((n) => n.isRunning() && !n.isPaused())) {
    const c = direct(node);
    counts.set(node, ((await c.pubsub('NUMSUB', CHANNEL)) as [string, number])[1]);
  }
  return counts;
}

async function subscribed(count: number, what: string): Promise<void> {
  await waitUntil(async () => [...(await subscribers()).values()].reduce((a, b) => a + b, 0) === count, {
    what,
    timeoutMs: 30_000,
  });
}

/** A trip by one pod reaches the others (by pub/sub, unless `byResyncToo`), and Redis holds what they hold. */
async function tripReachesEveryPod(all: readonly ClusterBreaker[], byResyncToo = false): Promise<void> {
  const causes: string[] = [];
  all[2]?.onStateChange((e) => causes.push(e.cause));
  for (let i = 0; i < 5; i++) all[0]?.recordFailure();
  await waitUntil(() => all.every((b) => b.state === 'open'), { what: 'the trip reached every pod' });
  if (!byResyncToo) expect(causes).toEqual(['trip']);
  const held = await inRedis();
  expect(held.state).toBe('open');
  expect(all.every((b) => b.generation === held.generation)).toBe(true);
}

describe('pods on a Redis Cluster with replicas', () => {
  it('CLUSTER FAILOVER of the breaker’s master: nothing lost, pods keep working on the new master', async () => {
    const all = await fleet(3);
    for (let i = 0; i < 3; i++) all[1]?.recordSuccess();
    await waitUntil(async () => (await inRedis()).generation === 0, { what: 'the breaker in Redis' });
    const owner = await cluster.nodeForKey(STATE_KEY);
    const { to } = await cluster.failover(owner);
    expect(await cluster.nodeForKey(STATE_KEY)).toBe(to);
    expect(await inRedis()).toEqual({ state: 'closed', generation: 0 });
    await subscribed(3, 'every pod still subscribed');
    await tripReachesEveryPod(all);
  });

  it('SIGKILL of the breaker’s master under traffic: pods rejoin the promoted replica and agree with it', async () => {
    const all = await fleet(3, 1_000);
    const traffic = setInterval(() => {
      for (const b of all) b.recordSuccess();
    }, 20);
    try {
      await cluster.killMaster(await cluster.nodeForKey(STATE_KEY));
      await waitUntil(
        async () => {
          const held = await inRedis().catch(() => undefined);
          return held !== undefined && all.every((b) => b.source === 'shared' && b.generation === held.generation);
        },
        { what: 'every pod on the promoted replica', timeoutMs: 30_000 },
      );
    } finally {
      clearInterval(traffic);
    }
    await subscribed(3, 'every pod subscribed');
    await tripReachesEveryPod(all, true);
  });

  it('a node holding subscriptions dies: its pods subscribe on another node', async () => {
    // Each pod's subscriber picks a node at random; kill one that holds some but not the
    // breaker's slot, so that only the subscriptions move (the other tests kill the owner).
    // All three on the owner (1 in 216): start the pods again.
    const owner = await cluster.nodeForKey(STATE_KEY);
    let all: ClusterBreaker[] = [];
    let holder: RedisServer | undefined;
    for (let attempt = 0; !holder && attempt < 5; attempt++) {
      await Promise.all(pods.splice(0).map((b) => b.close()));
      all = await fleet(3);
      holder = [...(await subscribers())].find(([node, n]) => n > 0 && node !== owner)?.[0];
    }
    if (!holder) throw new Error('every subscription landed on the breaker’s master five times');
    if (await isMasterNode(holder)) await cluster.killMaster(holder);
    else await holder.kill();
    expect((await subscribers()).has(holder)).toBe(false);
    await subscribed(3, 'every pod subscribed on a live node');
    // Killing a master fails the cluster over: until its replica takes its slots, every node
    // answers CLUSTERDOWN, and a pod whose call meets that is on its local breaker until it
    // rejoins (it would then learn of the trip by its rejoin, not by pub/sub).
    await waitUntil(() => all.every((b) => b.source === 'shared'), { what: 'every pod on the shared breaker' });
    await tripReachesEveryPod(all);
  });
});

async function isMasterNode(node: RedisServer): Promise<boolean> {
  const info = String(await direct(node).info('replication'));
  return /^role:master\r?$/m.test(info);
}
