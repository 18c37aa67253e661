import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerStore } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { ClusterBreaker } from './cluster-breaker.js';
import { DEFAULT_CLUSTER_BREAKER_OPTIONS } from './options.js';
import { downable, memoryFleet, wrapped } from './testing/memory-fleet.js';
import { fallbackWithinMs, viewAgeBoundMs } from './view-age-bound.js';

/**
 * The pod's promises about its view, on fake time (README, "How fresh a pod's
 * view is"): while its store answers within the command deadline, the view is
 * never older than `resyncIntervalMs + 2 × commandTimeoutMs`, whatever happens
 * to pub/sub and to calls in flight; a pod whose store stops answering is on its
 * local breaker within `resyncIntervalMs + commandTimeoutMs` (and a loop turn);
 * the age is the shared store's, not reset by the fallback's own re-reads.
 */

const fleet = memoryFleet();
let store: MemoryBreakerStore;
beforeEach(() => {
  store = fleet.store;
});

const D = DEFAULT_CLUSTER_BREAKER_OPTIONS;
const BOUND = viewAgeBoundMs(D); // 1,500 ms by default
const FALLBACK_WITHIN = fallbackWithinMs(D); // 1,250 ms by default
const TURN = 1; // the deadline's loop turn, one fake millisecond

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `store`, every reply of which takes up to (just under) the command deadline. */
function slowButInTime(target: MemoryBreakerStore, next: () => number): BreakerStore {
  const late =
    <A extends unknown[], T>(f: (...a: A) => Promise<T>) =>
    (...a: A): Promise<T> =>
      new Promise((resolve, reject) => {
        setTimeout(() => f(...a).then(resolve, reject), Math.floor(next() * (D.commandTimeoutMs - 1)));
      });
  return wrapped(target, {
    snapshot: late((name: string) => target.snapshot(name)),
    record: late((...a: Parameters<BreakerStore['record']>) => target.record(...a)),
    acquireProbe: late((...a: Parameters<BreakerStore['acquireProbe']>) => target.acquireProbe(...a)),
    reportProbe: late((...a: Parameters<BreakerStore['reportProbe']>) => target.reportProbe(...a)),
  });
}

/** The gauge as a scrape reads it, seconds. */
async function gauge(registry: Registry): Promise<number> {
  const { values } = await (registry.getSingleMetric('breakwater_breaker_view_age_seconds')?.get() ?? { values: [] });
  return values[0]?.value ?? Number.NaN;
}

describe('the age of a pod’s view', () => {
  it.each([1, 2, 3])(
    'stays under resyncIntervalMs + 2 × commandTimeoutMs while the store answers in time, transitions and all (seed %i)',
    async (seed) => {
      const next = random(seed);
      const registry = new Registry();
      const pod = await fleet.make({ store: slowButInTime(store, next), registry, config: { failureThreshold: 5 } });
      const other = await fleet.make({ config: { failureThreshold: 5 } });
      const fellBack: number[] = [];
      pod.onStoreDegraded(() => fellBack.push(Date.now()));
      let maxAge = 0;
      for (let ms = 0; ms < 60_000; ms += 10) {
        // The fleet keeps the breaker moving: trips, probes, overrides, each published to the pod.
        const roll = next();
        if (roll < 0.01) for (let i = 0; i < 5; i++) other.recordFailure();
        else if (roll < 0.02) await probeOnce(other);
        else if (roll < 0.025) await store.forceOpen('pusher', { actor: 'sre', reason: 'drill', ttlMs: 2_000 });
        else if (roll < 0.03) await store.clearOverride('pusher', { actor: 'sre' });
        if (roll < 0.05) pod.recordSuccess();
        await vi.advanceTimersByTimeAsync(10);
        maxAge = Math.max(maxAge, pod.viewAge);
      }
      expect(fellBack).toEqual([]);
      expect(maxAge).toBeLessThanOrEqual(BOUND);
      expect(await gauge(registry)).toBeLessThanOrEqual(BOUND / 1_000);
      // close() sends what is still counted through the slow store: let fake time run for it.
      fleet.release(pod);
      const closing = pod.close();
      await vi.advanceTimersByTimeAsync(D.commandTimeoutMs);
      await closing;
    },
  );

  it('is the shared store’s: the fallback’s own re-reads do not reset it, a rejoin does', async () => {
    const registry = new Registry();
    const down = { value: false };
    const pod = await fleet.make({ store: downable(store, down), registry });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(await gauge(registry)).toBeLessThanOrEqual(BOUND / 1_000);
    down.value = true;
    const lastSeen = Date.now();
    await vi.advanceTimersByTimeAsync(5_000); // five local resyncs, each of them a rejoin that fails
    expect(pod.source).toBe('local');
    expect(pod.viewAge).toBeGreaterThanOrEqual(Date.now() - lastSeen - D.resyncIntervalMs);
    expect(await gauge(registry)).toBeGreaterThanOrEqual(4);
    down.value = false;
    await vi.advanceTimersByTimeAsync(D.resyncIntervalMs);
    expect([pod.source, await gauge(registry)]).toEqual(['shared', expect.any(Number)]);
    expect(await gauge(registry)).toBeLessThan(1);
  });
});

describe('a pod whose store stops answering', () => {
  it.each([0, 137, 500, 999])(
    'is on its local breaker within resyncIntervalMs + commandTimeoutMs, idle or not (stops %i ms after a resync)',
    async (offset) => {
      let hang = false;
      const hanging = <T>(f: () => Promise<T>) => (hang ? new Promise<T>(() => {}) : f());
      const pod = await fleet.make({
        store: wrapped(store, {
          snapshot: (name: string) => hanging(() => store.snapshot(name)),
          record: (...a: Parameters<BreakerStore['record']>) => hanging(() => store.record(...a)),
        }),
      });
      await vi.advanceTimersByTimeAsync(D.resyncIntervalMs * 3 + offset);
      hang = true;
      const stoppedAt = Date.now();
      while (pod.source === 'shared' && Date.now() - stoppedAt <= FALLBACK_WITHIN + TURN) {
        await vi.advanceTimersByTimeAsync(1);
      }
      expect(pod.source).toBe('local');
      expect(Date.now() - stoppedAt).toBeLessThanOrEqual(FALLBACK_WITHIN + TURN);
    },
  );
});

/** One probe by `pod` if it can get the lease; its result decided by a coin the test does not need to see. */
async function probeOnce(pod: ClusterBreaker): Promise<void> {
  const lease = await pod.acquireProbe();
  if (lease) await pod.reportProbe(lease, lease.generation % 2 === 0 ? 'success' : 'failure');
}
