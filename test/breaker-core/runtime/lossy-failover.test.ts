import {
  type ClusterBreaker,
  type ClusterBreakerOptions,
  createClusterBreaker,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisSentinel, type RedisServer, startRedisCluster, startRedisSentinel } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * A failover that loses the last writes. Redis replicates asynchronously: a
 * replica promoted before it received a write never has it. Each test stalls
 * replication (the replica frozen, its link cut on the master), writes (a trip,
 * a lease grant), SIGKILLs the master and lets the sentinels (or the cluster)
 * promote the replica that missed it, then looks at what the breaker, the lease
 * and the audit are on the new master, and at what the pods do about it.
 *
 * What packages/breaker-core/README.md ("Failover") documents, asserted here:
 * - the breaker goes back to what the replica had: state, generation (the same
 *   incarnation, so generation numbers repeat), window, and the audit entries
 *   of the lost transitions are gone;
 * - every pod converges on what Redis holds within a bound (here 20 s), whether
 *   or not it fell back to its local breaker during the failover;
 * - a probe lease granted just before can be granted again, with the same token.
 */

const CONFIG = { failureThreshold: 5, minFailureRatio: 0, cooldownMs: 60_000 };
const CONVERGENCE_BOUND_MS = 20_000;

const pods: ClusterBreaker[] = [];
const clients: Array<Redis | Cluster> = [];

afterEach(async () => {
  await Promise.all(pods.splice(0).map((b) => b.close()));
  for (const c of clients.splice(0)) c.disconnect();
});

function track<T extends Redis | Cluster>(client: T): T {
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** The breaker as `node` holds it, read on that node alone. */
async function heldBy(node: RedisServer, name: string) {
  const store = new RedisBreakerStore({ client: track(new Redis({ port: node.port, maxRetriesPerRequest: 0 })) });
  const snapshot = await store.snapshot(name);
  const audit = await store.audit(name);
  return { state: snapshot.state, generation: snapshot.generation, audit: audit.map((e) => e.action) };
}

/** Every pod on what the promoted node holds, within the bound; the error says who held what. */
async function converged(fleet: readonly ClusterBreaker[], held: () => Promise<{ state: string; generation: number }>) {
  let last = '';
  try {
    await waitUntil(
      async () => {
        const h = await held().catch(() => undefined);
        last = `Redis ${h?.state}@${h?.generation}, pods ${fleet.map((b) => `${b.state}@${b.generation}/${b.source}`).join(' ')}`;
        return (
          h !== undefined &&
          fleet.every((b) => b.source === 'shared' && b.state === h.state && b.generation === h.generation)
        );
      },
      { what: 'every pod on the state the promoted replica holds', timeoutMs: CONVERGENCE_BOUND_MS },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${last}`);
  }
}

describe('behind Sentinel', () => {
  let sentinel: RedisSentinel;
  let name = 'pusher';

  beforeAll(async () => {
    sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3 });
  });

  beforeEach((test) => {
    name = `pusher-${test.task.id}`;
  });

  afterEach(async () => {
    await sentinel.resumeReplication();
    for (const n of sentinel.dataNodes) if (!n.isRunning()) await n.restart();
    await sentinel.waitUntilHealthy(60_000);
  });

  afterAll(async () => {
    await sentinel?.stop();
  });

  async function pod(podId: string, extra: Partial<ClusterBreakerOptions> = {}): Promise<ClusterBreaker> {
    const b = await createClusterBreaker({ name, redis: sentinel.redisOptions(), podId, config: CONFIG, ...extra });
    pods.push(b);
    return b;
  }

  it('a trip the replica never got is undone: state and generation go back, its audit entry is gone, pods follow', async () => {
    const fleet = [await pod('pod-a'), await pod('pod-b'), await pod('pod-c')];
    const master = await sentinel.master();
    expect(await heldBy(master, name)).toEqual({ state: 'closed', generation: 0, audit: [] });

    await sentinel.stallReplication();
    for (let i = 0; i < 5; i++) fleet[0]?.recordFailure();
    await waitUntil(() => fleet.every((b) => b.state === 'open' && b.generation === 1), { what: 'the trip' });
    expect(await heldBy(master, name)).toEqual({ state: 'open', generation: 1, audit: ['trip'] });

    const { to } = await sentinel.killMaster();
    expect(await heldBy(to, name)).toEqual({ state: 'closed', generation: 0, audit: [] });
    await converged(fleet, () => heldBy(to, name));

    // The failures keep coming: the breaker trips again, under the same generation number.
    for (let i = 0; i < 5; i++) fleet[1]?.recordFailure();
    await waitUntil(() => fleet.every((b) => b.state === 'open' && b.generation === 1), { what: 'the trip again' });
    expect(await heldBy(to, name)).toEqual({ state: 'open', generation: 1, audit: ['trip'] });
  });

  it('pods that make no call across the failover converge too (only the reconnect re-reads the state)', async () => {
    // No periodic resync, no traffic, a cooldown far away: the pods' only store calls after
    // the trip are the re-reads their reconnects trigger, so none can fall back during the
    // failover and rejoin (which adopts what Redis holds whatever its generation).
    const quiet = { resyncIntervalMs: 60_000 };
    const fleet = [await pod('pod-a', quiet), await pod('pod-b', quiet)];
    await sentinel.stallReplication();
    for (let i = 0; i < 5; i++) fleet[0]?.recordFailure();
    await waitUntil(() => fleet.every((b) => b.state === 'open' && b.generation === 1), { what: 'the trip' });

    const { to } = await sentinel.killMaster();
    expect(await heldBy(to, name)).toMatchObject({ state: 'closed', generation: 0 });
    await converged(fleet, () => heldBy(to, name));
  });

  it('a probe lease granted just before is granted again, with the same token; the first report wins', async () => {
    const client = track(new Redis({ ...sentinel.redisOptions(), maxRetriesPerRequest: 5 }));
    const store = new RedisBreakerStore({ client });
    await store.register(name, { failureThreshold: 1, minFailureRatio: 0, cooldownMs: 100, probeLeaseMs: 60_000 });
    await store.record(name, 'pod-x', { failures: 1, successes: 0 });
    await waitUntil(async () => (await store.snapshot(name)).state === 'half_open', { what: 'half-open' });
    const { generation } = await store.snapshot(name);
    // The half-open transition is on the replica before the stall: only the grant is lost.
    const master = await sentinel.master();
    const replica = sentinel.dataNodes.find((n) => n !== master && n.isRunning());
    const onReplica = track(new Redis({ port: replica?.port }));
    await waitUntil(async () => (await onReplica.hget(breakerKeys('bw', name).state, 'auto')) === 'half_open', {
      what: 'half-open on the replica',
    });

    await sentinel.stallReplication();
    const first = await store.acquireProbe(name, 'pod-a');
    if (!first.granted) throw new Error('pod-a should hold the lease');
    const { to } = await sentinel.killMaster();

    // The promoted replica never saw that grant: the lease is free, for the same generation…
    const second = await store.acquireProbe(name, 'pod-b');
    if (!second.granted) throw new Error('pod-b should be granted the lease again');
    expect(second.lease.generation).toBe(generation);
    expect(second.lease.holder).toBe('pod-b');
    // …and the same sequence number, so the same token: two pods probe with one lease.
    expect(second.lease.token).toBe(first.lease.token);

    // Whoever reports first is taken for the lease in force; the other is refused as stale.
    const fromA = await store.reportProbe(first.lease, 'success');
    expect(fromA.accepted).toBe(true);
    const fromB = await store.reportProbe(second.lease, 'failure');
    expect(fromB).toMatchObject({ accepted: false, reason: 'stale' });
    expect(await heldBy(to, name)).toMatchObject({ state: 'closed', generation: generation + 1 });
  });
});

describe('on a Redis Cluster with replicas', () => {
  it('a trip the promoted replica never got is undone, and the pods follow', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    const name = 'pusher';
    const stateKey = breakerKeys('bw', name).state;
    try {
      const yours = track(new Cluster([...cluster.startupNodes], { lazyConnect: true }));
      const fleet: ClusterBreaker[] = [];
      for (const podId of ['pod-a', 'pod-b', 'pod-c']) {
        fleet.push(await createClusterBreaker({ name, redis: yours, podId, config: CONFIG }));
      }
      pods.push(...fleet);
      const owner = await cluster.nodeForKey(stateKey);
      await cluster.stallReplication(owner);
      for (let i = 0; i < 5; i++) fleet[0]?.recordFailure();
      await waitUntil(() => fleet.every((b) => b.state === 'open' && b.generation === 1), { what: 'the trip' });
      expect(await heldBy(owner, name)).toEqual({ state: 'open', generation: 1, audit: ['trip'] });

      const { to } = await cluster.killMaster(owner);
      expect(await heldBy(to, name)).toEqual({ state: 'closed', generation: 0, audit: [] });
      await converged(fleet, () => heldBy(to, name));
    } finally {
      await Promise.all(pods.splice(0).map((b) => b.close()));
      await cluster.stop();
    }
  });
});
