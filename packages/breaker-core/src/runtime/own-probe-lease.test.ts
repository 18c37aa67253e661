import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import type { ProbeLease } from '../state/probe-lease.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { ClusterBreaker } from './cluster-breaker.js';
import { memoryFleet, unreachable, wrapped } from './testing/memory-fleet.js';

/**
 * One probe per pod, decided by breaker-core: a ClusterBreaker on a
 * MemoryBreakerStore (fake timers) never hands out a lease while this pod
 * asks for one or holds one that is neither reported nor expired, although
 * the store itself grants a pod's live lease to it again.
 */

const fleet = memoryFleet();
const config = { failureThreshold: 1, cooldownMs: 1_000, probeLeaseMs: 5_000 };
/** The cooldown after one failed probe, and a millisecond: cooldownMs × the default multiplier (2). */
const AFTER_FAILED_PROBE = 2_001;
let store: MemoryBreakerStore;
beforeEach(() => {
  store = fleet.store;
});

/** A pod whose breaker has tripped and cooled down: half-open. */
async function halfOpenPod(extra: Parameters<typeof fleet.make>[0] = {}): Promise<ClusterBreaker> {
  const b = await fleet.make({ config, resyncIntervalMs: 60_000, ...extra });
  b.recordFailure();
  await vi.advanceTimersByTimeAsync(0);
  await vi.advanceTimersByTimeAsync(1_001);
  expect(b.state).toBe('half_open');
  return b;
}

function must(lease: ProbeLease | null): ProbeLease {
  if (!lease) throw new Error('no lease');
  return lease;
}

describe('ClusterBreaker.acquireProbe(): one lease per pod', () => {
  it('answers null to a pod that holds its lease, although the store would grant it again', async () => {
    const registry = new Registry();
    const b = await halfOpenPod({ registry });
    const lease = must(await b.acquireProbe());
    expect(await b.acquireProbe()).toBeNull();
    // What the store does (and why the pod must decide): the holder asking again gets its lease again.
    const again = await store.acquireProbe('pusher', 'pod-0');
    expect(again.granted && again.lease.token).toBe(lease.token);
    const text = await registry.metrics();
    expect(text).toContain('breakwater_breaker_probes_total{breaker="pusher",result="granted"} 1');
    expect(text).not.toContain('result="refused"'); // the store was not asked
  });

  it('gives two callers asking at once one lease between them', async () => {
    const b = await halfOpenPod();
    const leases = await Promise.all([b.acquireProbe(), b.acquireProbe(), b.acquireProbe()]);
    expect(leases.filter((l) => l !== null)).toHaveLength(1);
  });

  it('frees the pod once the lease is reported: a later half-open grants it again', async () => {
    const b = await halfOpenPod();
    const lease = must(await b.acquireProbe());
    expect(await b.reportProbe(lease, 'failure')).toBe(true);
    expect(b.state).toBe('open');
    await vi.advanceTimersByTimeAsync(AFTER_FAILED_PROBE);
    expect(b.state).toBe('half_open');
    expect(must(await b.acquireProbe()).generation).toBeGreaterThan(lease.generation);
  });

  it('keeps a lease a transition fenced until it is reported (and refused)', async () => {
    const b = await halfOpenPod();
    const lease = must(await b.acquireProbe());
    // An operator forces open and clears: two new generations, the automatic state still half-open.
    await store.forceOpen('pusher', { actor: 'sre', reason: 'drill', ttlMs: 60_000 });
    await store.clearOverride('pusher', { actor: 'sre' });
    await vi.advanceTimersByTimeAsync(0);
    expect([b.state, b.generation]).toEqual(['half_open', lease.generation + 2]);
    expect(await b.acquireProbe()).toBeNull(); // its holder is still probing
    expect(await b.reportProbe(lease, 'success')).toBe(false); // stale
    expect(must(await b.acquireProbe()).generation).toBe(lease.generation + 2);
  });

  it('frees the pod once the lease expires, unreported', async () => {
    const b = await halfOpenPod();
    const lease = must(await b.acquireProbe());
    vi.setSystemTime(lease.expiresAt - 1);
    expect(await b.acquireProbe()).toBeNull();
    vi.setSystemTime(lease.expiresAt);
    const next = must(await b.acquireProbe());
    expect(next.token).not.toBe(lease.token);
  });

  it('holds a lease of the local breaker the same way', async () => {
    const down = { value: false };
    const flaky = wrapped(store, {
      acquireProbe: (...a: Parameters<MemoryBreakerStore['acquireProbe']>) =>
        down.value ? Promise.reject(new StoreUnavailableError('connection refused')) : store.acquireProbe(...a),
      ...unreachable(store, down),
    });
    const b = await halfOpenPod({ store: flaky });
    down.value = true;
    expect(await b.acquireProbe()).toBeNull(); // the shared call fails: open locally for a cooldown of its own
    await vi.advanceTimersByTimeAsync(1_001);
    const lease = must(await b.acquireProbe()); // a local lease
    expect(b.source).toBe('local');
    expect(await b.acquireProbe()).toBeNull();
    expect(await b.reportProbe(lease, 'failure')).toBe(true);
    await vi.advanceTimersByTimeAsync(AFTER_FAILED_PROBE);
    expect(await b.acquireProbe()).not.toBeNull();
  });

  it('asks the store nothing while its view shows another pod’s unexpired lease; asks again once it expires', async () => {
    let asked = 0;
    const counting = wrapped(store, {
      acquireProbe: (...a: Parameters<MemoryBreakerStore['acquireProbe']>) => {
        asked++;
        return store.acquireProbe(...a);
      },
    });
    const b = await halfOpenPod({ store: counting, resyncIntervalMs: 1_000 });
    const other = await store.acquireProbe('pusher', 'pod-other'); // another pod probes
    if (!other.granted) throw new Error('no lease');
    await vi.advanceTimersByTimeAsync(1_000); // the periodic resync shows its lease
    expect(b.snapshot.probe?.holder).toBe('pod-other');
    for (let i = 0; i < 5; i++) expect(await b.acquireProbe()).toBeNull(); // its degraded sessions waking
    expect(asked).toBe(0);
    vi.setSystemTime(other.lease.expiresAt); // dropped unreported: expired on the store's clock
    expect(await b.acquireProbe()).not.toBeNull();
    expect(asked).toBe(1);
  });
});
