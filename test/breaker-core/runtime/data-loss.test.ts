import {
  type BreakerSnapshot,
  type ClusterBreaker,
  createClusterBreaker,
  type ProbeLease,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis, waitUntil } from '../../harness/index.js';
import { PodProcess, type PodReport } from './pod-process.js';

/**
 * Redis restarts without its data (SIGKILL, then an empty server on the same port).
 * The first pod to reach it re-creates the breaker at generation 0 and its replay
 * re-trips it (README, "Rejoining"). Every other pod must follow that new life of
 * the breaker, even when it had seen a higher generation of the old one: the fleet
 * below has been through trip → half-open → probe → close (generation 3), and the
 * new life is at generation 1 or 2.
 */

const open: ClusterBreaker[] = [];
const processes: PodProcess[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(processes.splice(0).map((p) => p.close()));
});

// failureThreshold 20 (the default); a short cooldown so the history before the loss is quick.
const CONFIG = { cooldownMs: 300 };

async function sharedSnapshot(server: RedisServer): Promise<BreakerSnapshot> {
  const client = new Redis(server.url);
  try {
    return await new RedisBreakerStore({ client }).snapshot('pusher');
  } finally {
    client.disconnect();
  }
}

/** Waits until every pod follows Redis and its view says what Redis says; on failure, names the pods that do not. */
async function untilAllFollow(server: RedisServer, views: () => Promise<PodReport[]>): Promise<void> {
  let laggards: PodReport[] = [];
  let truth: BreakerSnapshot | undefined;
  try {
    await waitUntil(
      async () => {
        truth = await sharedSnapshot(server);
        const t = truth;
        laggards = (await views()).filter(
          (v) => v.source !== 'shared' || v.state !== t.state || v.generation !== t.generation,
        );
        return laggards.length === 0;
      },
      { what: 'every pod follows the re-created breaker' },
    );
  } catch (err) {
    const lines = laggards.map(
      (v) =>
        `${v.podId}: ${v.state}@${v.generation} (${v.source}, view ${v.viewAgeMs} ms old, ` +
        `fell back ${v.degraded.length}×, rejoined ${v.recovered}×)`,
    );
    throw new Error(
      `${(err as Error).message}: Redis is ${truth?.state}@${truth?.generation}; ${laggards.length} pods are not:\n${lines.join('\n')}`,
    );
  }
}

function report(b: ClusterBreaker, degraded: string[], recovered: number[]): PodReport {
  return {
    podId: b.podId,
    state: b.state,
    generation: b.generation,
    incarnation: b.snapshot.incarnation,
    source: b.source,
    viewAgeMs: b.viewAge,
    degraded,
    recovered: recovered.length,
    granted: [],
  };
}

describe('Redis restarts without its data', () => {
  it('a pod that reconnects after another pod re-created the breaker follows it, whatever generation it saw before', async () => {
    const server = await startRedis();
    // The rejoiner: the pod that counts failures while Redis is gone, and whose replay re-creates the breaker.
    const rejoiner = await createClusterBreaker({
      name: 'pusher',
      redis: server.url,
      podId: 'rejoiner',
      config: CONFIG,
    });
    open.push(rejoiner);
    // Ten pods in another process. Their periodic resync is pushed out past the test, so the restart reaches
    // them only through their reconnect, as it does any pod whose next resync falls after the restart.
    const fleet = await PodProcess.start();
    processes.push(fleet);
    await fleet.create(10, 'fleet', { name: 'pusher', redis: server.url, config: CONFIG, resyncIntervalMs: 60_000 });
    const all = async () => [...(await fleet.views()), report(rejoiner, [], [])];

    // trip (generation 1) → half-open (2) → one probe succeeds → closed (3)
    for (let i = 0; i < 10; i++) await fleet.recordFailures(i, 2);
    await waitUntil(async () => (await all()).every((v) => v.state === 'open'), { what: 'all open' });
    await waitUntil(async () => (await all()).every((v) => v.state === 'half_open'), { what: 'all half-open' });
    const lease = (await rejoiner.acquireProbe()) as ProbeLease;
    expect(lease).not.toBeNull();
    expect(await rejoiner.reportProbe(lease, 'success')).toBe(true);
    await waitUntil(async () => (await all()).every((v) => v.state === 'closed'), { what: 'all closed' });
    expect((await all()).map((v) => v.generation)).toEqual(Array(11).fill(3));
    const before = await sharedSnapshot(server);

    // The fleet's process is frozen across the restart (SIGSTOP): the rejoiner reaches the new Redis first.
    fleet.freeze();
    await server.kill();
    for (let i = 0; i < 25; i++) rejoiner.recordFailure();
    await waitUntil(() => rejoiner.source === 'local' && rejoiner.state === 'open', {
      what: 'the rejoiner tripped on its local breaker',
    });
    await server.restart();
    await waitUntil(() => rejoiner.source === 'shared', { what: 'the rejoiner rejoined' });
    const reborn = await sharedSnapshot(server);
    expect(reborn.state === 'open' || reborn.state === 'half_open').toBe(true); // its replay re-tripped it
    expect(reborn.generation).toBeLessThan(3); // a new life: generations restarted at 0
    expect(reborn.incarnation).not.toBe(before.incarnation);
    fleet.thaw();

    await untilAllFollow(server, all);
  });

  it('30 pods in one process, the issue’s history: every pod follows the replay that re-trips the breaker', async () => {
    const server = await startRedis();
    const pods: ClusterBreaker[] = [];
    for (let i = 0; i < 30; i++) {
      pods.push(await createClusterBreaker({ name: 'pusher', redis: server.url, podId: `pod-${i}`, config: CONFIG }));
    }
    open.push(...pods);
    const degraded = pods.map(() => [] as string[]);
    const recovered = pods.map(() => [] as number[]);
    const views = async () => pods.map((b, i) => report(b, degraded[i] ?? [], recovered[i] ?? []));

    // 20 failures from 20 pods trip it; all 30 ask for the probe at once; the holder's success closes it.
    for (const b of pods.slice(0, 20)) b.recordFailure();
    await waitUntil(() => pods.every((b) => b.state === 'open'), { what: 'all open' });
    await waitUntil(() => pods.every((b) => b.state === 'half_open'), { what: 'all half-open' });
    const leases = await Promise.all(pods.map((b) => b.acquireProbe()));
    const granted = leases.filter((l): l is ProbeLease => l !== null);
    expect(granted).toHaveLength(1);
    const holder = pods[leases.indexOf(granted[0] as ProbeLease)] as ClusterBreaker;
    expect(await holder.reportProbe(granted[0] as ProbeLease, 'success')).toBe(true);
    await waitUntil(() => pods.every((b) => b.state === 'closed'), { what: 'all closed' });
    expect(pods.map((b) => b.generation)).toEqual(Array(30).fill(3));

    pods.forEach((b, i) => {
      b.onStoreDegraded(({ error }) => degraded[i]?.push(error.message));
      b.onStoreRecovered(({ downtimeMs }) => recovered[i]?.push(downtimeMs));
    });
    await server.kill();
    const rejoiner = pods[0] as ClusterBreaker;
    for (let i = 0; i < 25; i++) rejoiner.recordFailure();
    await waitUntil(() => rejoiner.source === 'local' && rejoiner.state === 'open', {
      what: 'the rejoiner tripped on its local breaker',
    });
    await server.restart();
    await waitUntil(() => rejoiner.source === 'shared', { what: 'the rejoiner rejoined' });

    await untilAllFollow(server, views);
  });

  it('a store that went back to an older generation of the same incarnation (an older RDB, a lagging replica) is followed', async () => {
    const server = await startRedis();
    const pod = await createClusterBreaker({
      name: 'pusher',
      redis: server.url,
      podId: 'pod-0',
      config: CONFIG,
      resyncIntervalMs: 200,
    });
    open.push(pod);
    const admin = new Redis(server.url);
    try {
      const store = new RedisBreakerStore({ client: admin });
      const request = { actor: 'sre', reason: 'drill', ttlMs: 60_000 };
      await store.forceOpen('pusher', request); // generation 1
      await store.clearOverride('pusher', { actor: 'sre' }); // generation 2: closed
      const state = breakerKeys('bw', 'pusher').state;
      const backup = await admin.dumpBuffer(state); // the state as an RDB taken now would hold it
      await store.forceOpen('pusher', request); // generation 3
      await waitUntil(() => pod.state === 'forced_open' && pod.generation === 3, { what: 'the pod at generation 3' });

      // Redis comes back from the older backup: the same incarnation, closed at generation 2.
      await admin.restore(state, 0, backup, 'REPLACE');
      expect((await store.snapshot('pusher')).generation).toBe(2);
      await waitUntil(() => pod.state === 'closed' && pod.generation === 2, {
        what: 'the pod follows the store back to generation 2',
      });
    } finally {
      admin.disconnect();
    }
  });
});
