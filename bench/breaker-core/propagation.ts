import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { percentile } from '../stats.js';

/**
 * How long until every one of 30 pods (own command + subscriber connections,
 * all in this one process) obeys a change made elsewhere, two ways:
 *
 * - **force-open**: an operator force-opens the breaker; measured from just
 *   before the force-open call to each pod's `forced_open` event, so it
 *   includes that call's round trip, the PUBLISH fan-out and event delivery;
 * - **trip**: one pod records the threshold-th failure; measured from that
 *   `recordFailure()` call to each pod's `open` event (the tripping pod's own
 *   included), so it adds the pod's early flush to the same path. The breaker
 *   is reset between rounds, and the tripping pod rotates so its early flush
 *   is never held back by its own flush interval.
 */
export interface PropagationResult {
  readonly pods: number;
  readonly rounds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const THRESHOLD = 20;

export async function benchPropagation(redisUrl: string, pods = 30, rounds = 100): Promise<PropagationResult> {
  const name = 'bench-propagation';
  return withFleet(redisUrl, name, pods, {}, async (fleet, store) => {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let t0 = 0;
      const seen = observe(fleet, 'forced_open', () => t0);
      t0 = performance.now();
      await store.forceOpen(name, { reason: 'bench', actor: 'bench', ttlMs: 60_000 });
      samples.push(...(await seen));
      await store.clearOverride(name, { actor: 'bench' });
      await settle(fleet);
    }
    return summary(pods, rounds, samples);
  });
}

export async function benchTripPropagation(redisUrl: string, pods = 30, rounds = 100): Promise<PropagationResult> {
  const name = 'bench-trip-propagation';
  // A long cooldown: nothing half-opens while a round is being measured.
  const config = { failureThreshold: THRESHOLD, cooldownMs: 600_000 };
  return withFleet(redisUrl, name, pods, config, async (fleet, store) => {
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const tripper = fleet[round % pods] as ClusterBreaker;
      for (let i = 0; i < THRESHOLD - 1; i++) tripper.recordFailure();
      let t0 = 0;
      const seen = observe(fleet, 'open', () => t0);
      t0 = performance.now();
      tripper.recordFailure(); // the threshold-th: this pod alone can now trip the breaker
      samples.push(...(await seen));
      await store.reset(name, { actor: 'bench', reason: 'next round' });
      await settle(fleet);
    }
    return summary(pods, rounds, samples);
  });
}

async function withFleet(
  redisUrl: string,
  name: string,
  pods: number,
  config: Record<string, number>,
  run: (fleet: ClusterBreaker[], store: RedisBreakerStore) => Promise<PropagationResult>,
): Promise<PropagationResult> {
  const fleet: ClusterBreaker[] = [];
  for (let i = 0; i < pods; i++) {
    fleet.push(await createClusterBreaker({ name, redis: redisUrl, podId: `pod-${i}`, config }));
  }
  const admin = new Redis(redisUrl);
  try {
    return await run(fleet, new RedisBreakerStore({ client: admin }));
  } finally {
    await Promise.all(fleet.map((b) => b.close()));
    admin.disconnect();
  }
}

/** Resolves with each pod's delay (ms after `t0()`) to its first `to` event. */
function observe(fleet: readonly ClusterBreaker[], to: string, t0: () => number): Promise<number[]> {
  const seen = new Map<number, number>();
  return new Promise((resolve) => {
    fleet.forEach((b, i) => {
      const sub = b.onStateChange((e) => {
        if (e.to !== to || seen.has(i)) return;
        seen.set(i, performance.now() - t0());
        sub.dispose();
        if (seen.size === fleet.length) resolve([...seen.values()]);
      });
    });
  });
}

/** Back to closed everywhere, and the pods' follow-up resyncs done, so rounds do not queue behind each other. */
async function settle(fleet: readonly ClusterBreaker[]): Promise<void> {
  while (!fleet.every((b) => b.state === 'closed')) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 25));
}

function summary(pods: number, rounds: number, samples: number[]): PropagationResult {
  const sorted = samples.sort((a, b) => a - b);
  return {
    pods,
    rounds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}
