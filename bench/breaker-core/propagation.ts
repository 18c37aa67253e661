import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { percentile } from '../stats.js';

/**
 * Trip propagation: an operator force-opens the breaker; how long until each of
 * 30 pods (own command + subscriber connections, all in this one process) sees
 * `forced_open`? Measured from just before the force-open call, so it includes
 * that call's round trip, the PUBLISH fan-out and event delivery.
 */
export interface PropagationResult {
  readonly pods: number;
  readonly rounds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export async function benchPropagation(redisUrl: string, pods = 30, rounds = 100): Promise<PropagationResult> {
  const fleet: ClusterBreaker[] = [];
  for (let i = 0; i < pods; i++) {
    fleet.push(await createClusterBreaker({ name: 'bench-propagation', redis: redisUrl, podId: `pod-${i}` }));
  }
  const admin = new Redis(redisUrl);
  const store = new RedisBreakerStore({ client: admin });
  const samples: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const seen = new Map<number, number>();
      let t0 = 0;
      const allSeen = new Promise<void>((resolve) => {
        fleet.forEach((b, i) => {
          const sub = b.onStateChange((e) => {
            if (e.to !== 'forced_open' || seen.has(i)) return;
            seen.set(i, performance.now() - t0);
            sub.dispose();
            if (seen.size === pods) resolve();
          });
        });
      });
      t0 = performance.now();
      await store.forceOpen('bench-propagation', { reason: 'bench', actor: 'bench', ttlMs: 60_000 });
      await allSeen;
      samples.push(...seen.values());
      await store.clearOverride('bench-propagation', { actor: 'bench' });
      await waitFor(() => fleet.every((b) => b.state === 'closed'));
      // Let the pods' follow-up resyncs finish so rounds do not queue behind each other.
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await Promise.all(fleet.map((b) => b.close()));
    admin.disconnect();
  }
  const sorted = samples.sort((a, b) => a - b);
  return {
    pods,
    rounds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}
