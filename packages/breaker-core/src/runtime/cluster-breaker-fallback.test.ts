import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import type { BreakerStore } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import { capturingLogger, downable, memoryFleet, wrapped } from './testing/memory-fleet.js';

/**
 * The fallback through a ClusterBreaker on a MemoryBreakerStore wrapped to
 * fail, hang or stall, with fake timers: what the fallback is restored from,
 * the rejoin and the flushes around it, the deadline on a caller's store, and
 * what is logged while the store is down or flapping. The FailoverStore's own
 * tests are in failover-store.test.ts.
 */

const fleet = memoryFleet();
const make = fleet.make;
let store: MemoryBreakerStore;
beforeEach(() => {
  store = fleet.store;
});

describe('ClusterBreaker on its fallback (the FailoverStore through ClusterBreaker)', () => {
  it('falls back from what pub/sub said, not from the older snapshot, when the resync after it fails', async () => {
    const config = { failureThreshold: 3, cooldownMs: 5_000 };
    let failSnapshots = false;
    const flaky = wrapped(store, {
      snapshot: (name: string) =>
        failSnapshots ? Promise.reject(new StoreUnavailableError('snapshot: connection reset')) : store.snapshot(name),
    });
    const a = await make({ store: flaky, resyncIntervalMs: 60_000, config });
    const b = await make({ config });
    const seen: string[] = [];
    a.onStateChange((e) => seen.push(`${e.from}->${e.to}@${e.generation} (${e.source})`));
    failSnapshots = true;
    for (let i = 0; i < 3; i++) b.recordFailure(); // b trips the breaker; a hears it on the channel
    await vi.advanceTimersByTimeAsync(0);
    expect(a.source).toBe('local'); // its resync failed
    expect(a.state).toBe('open');
    expect(a.allow()).toBe(false);
    expect(seen).toEqual(['closed->open@1 (shared)']);
    await vi.advanceTimersByTimeAsync(5_001); // the cooldown carried over to the fallback
    expect(seen[1]).toBe('open->half_open@2 (local)');
  });

  it('does not probe beside the holder of the shared lease: a pod that falls back while open cools down a full cooldown of its own', async () => {
    // Seen in a replay on a busy machine: a pod whose snapshot timed out 5.5 s before the end of the
    // cooldown, still on its fallback, probed beside the lease holder, which it could not see.
    const config = { failureThreshold: 1, cooldownMs: 10_000, probeLeaseMs: 5_000 };
    const cut = { value: false };
    const fail = () => Promise.reject(new StoreUnavailableError('connection reset'));
    const flaky = wrapped(store, {
      snapshot: (name: string) => (cut.value ? fail() : store.snapshot(name)),
      record: (...a: Parameters<BreakerStore['record']>) => (cut.value ? fail() : store.record(...a)),
      acquireProbe: (...a: Parameters<BreakerStore['acquireProbe']>) => (cut.value ? fail() : store.acquireProbe(...a)),
    });
    const holder = await make({ config });
    const cutOff = await make({ store: flaky, config, resyncIntervalMs: 1_000 });

    holder.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect([holder.state, cutOff.state]).toEqual(['open', 'open']);

    await vi.advanceTimersByTimeAsync(4_000);
    cut.value = true; // 6 s before the end of the cooldown: the next resync fails
    await vi.advanceTimersByTimeAsync(1_000);
    expect(cutOff.source).toBe('local');

    await vi.advanceTimersByTimeAsync(5_000); // the shared cooldown ends
    const lease = await holder.acquireProbe();
    expect(lease?.holder).toBe('pod-0');
    expect(await cutOff.acquireProbe()).toBeNull(); // still cooling down on its own
    expect(cutOff.state).toBe('open');

    await vi.advanceTimersByTimeAsync(5_000); // a full cooldown since it fell back: now it may probe alone
    expect(cutOff.state).toBe('half_open');
    expect((await cutOff.acquireProbe())?.holder).toBe('pod-1');
  });

  it('does not probe at once when it falls back while half-open: open for a full cooldown first', async () => {
    const config = { failureThreshold: 1, cooldownMs: 1_000, probeLeaseMs: 5_000 };
    const cut = { value: false };
    const fail = () => Promise.reject(new StoreUnavailableError('connection reset'));
    const flaky = wrapped(store, {
      snapshot: (name: string) => (cut.value ? fail() : store.snapshot(name)),
      record: (...a: Parameters<BreakerStore['record']>) => (cut.value ? fail() : store.record(...a)),
      acquireProbe: (...a: Parameters<BreakerStore['acquireProbe']>) => (cut.value ? fail() : store.acquireProbe(...a)),
    });
    const holder = await make({ config, resyncIntervalMs: 60_000 });
    const cutOff = await make({ store: flaky, config, resyncIntervalMs: 60_000 });
    holder.recordFailure();
    await vi.advanceTimersByTimeAsync(1_101);
    expect([holder.state, cutOff.state]).toEqual(['half_open', 'half_open']);
    expect((await holder.acquireProbe())?.holder).toBe('pod-0');
    cut.value = true;
    expect(await cutOff.acquireProbe()).toBeNull(); // the shared call fails: no local lease beside pod-0's
    expect([cutOff.source, cutOff.state]).toEqual(['local', 'open']);
    await vi.advanceTimersByTimeAsync(1_001);
    expect((await cutOff.acquireProbe())?.holder).toBe('pod-1'); // a cooldown later, still cut off: on its own
  });

  it('sends outcomes flushed during a rejoin to the shared store too, not to a local window already read', async () => {
    let mode: 'down' | 'slow' | 'up' = 'up';
    let slowRecords = 0;
    const flaky = wrapped(store, {
      record: (...args: Parameters<BreakerStore['record']>) => {
        if (mode === 'down') return Promise.reject(new StoreUnavailableError('connection refused'));
        if (mode === 'up') return store.record(...args);
        slowRecords++;
        return new Promise((resolve) => setTimeout(() => resolve(store.record(...args)), 200));
      },
    });
    const b = await make({ store: flaky, resyncIntervalMs: 1_000, config: { failureThreshold: 100 } });
    mode = 'down';
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100); // the flush fails: the failure goes to the local breaker
    expect(b.source).toBe('local');
    mode = 'slow';
    while (slowRecords === 0) await vi.advanceTimersByTimeAsync(10); // a resync's rejoin is replaying
    mode = 'up';
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(500); // the flush waits for the rejoin, then goes to shared
    expect(b.source).toBe('shared');
    expect((await store.snapshot('pusher')).window.failures).toBe(3);
  });

  it('applies the rejoin before the reply to a flush that waited for it, so the view never steps back', async () => {
    let mode: 'down' | 'slow' | 'up' = 'up';
    let slowRecords = 0;
    const flaky = wrapped(store, {
      record: (...args: Parameters<BreakerStore['record']>) => {
        if (mode === 'down') return Promise.reject(new StoreUnavailableError('connection refused'));
        if (mode === 'up') return store.record(...args);
        slowRecords++;
        return new Promise((resolve) => setTimeout(() => resolve(store.record(...args)), 200));
      },
    });
    const b = await make({ store: flaky, resyncIntervalMs: 1_000, config: { failureThreshold: 3 } });
    const seen: string[] = [];
    b.onStateChange((e) => seen.push(`${e.from}->${e.to}@${e.generation} (${e.cause})`));
    mode = 'down';
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100); // the flush fails: the failure goes to the local breaker
    mode = 'slow';
    while (slowRecords === 0) await vi.advanceTimersByTimeAsync(10); // a resync's rejoin is replaying it
    mode = 'up';
    b.recordFailure();
    b.recordFailure(); // the flush that waits for the rejoin, then trips the shared breaker
    await vi.advanceTimersByTimeAsync(500);
    expect([b.source, b.state, b.generation]).toEqual(['shared', 'open', 1]);
    expect(seen).toEqual(['closed->open@1 (trip)']);
  });

  it('resyncs right after a rejoin: what changed while its replay was in flight reaches it then, not a resync later', async () => {
    const config = { failureThreshold: 3, cooldownMs: 60_000 };
    let mode: 'down' | 'held' | 'up' = 'up';
    const flaky = wrapped(store, {
      record: async (...args: Parameters<BreakerStore['record']>) => {
        if (mode === 'down') throw new StoreUnavailableError('connection refused');
        const reply = await store.record(...args);
        if (mode === 'held') await new Promise((resolve) => setTimeout(resolve, 200)); // the reply on its way
        return reply;
      },
      // This pod hears nothing on pub/sub (its subscriber missed the messages): only a resync can tell it.
      subscribe: () => Promise.resolve({ dispose: () => {} }),
    });
    const a = await make({ store: flaky, resyncIntervalMs: 10_000, config });
    const b = await make({ config, resyncIntervalMs: 60_000 });
    mode = 'down';
    a.recordFailure();
    await vi.advanceTimersByTimeAsync(100); // the flush fails: the failure goes to the local breaker
    expect(a.source).toBe('local');
    mode = 'held';
    await vi.advanceTimersByTimeAsync(9_950); // t = 10,050: the resync at 10 s is replaying, its reply held
    for (let i = 0; i < 3; i++) b.recordFailure(); // another pod trips the shared breaker meanwhile
    await vi.advanceTimersByTimeAsync(150); // t = 10,200: the rejoin's reply (still closed) arrives
    mode = 'up';
    await vi.advanceTimersByTimeAsync(10);
    expect([a.source, a.state, b.state]).toEqual(['shared', 'open', 'open']); // not closed until t = 20 s
  });

  it('takes a transition heard while on its fallback as the cue to rejoin', async () => {
    const config = { failureThreshold: 3, cooldownMs: 60_000 };
    const down = { value: false };
    const a = await make({ store: downable(store, down), resyncIntervalMs: 10_000, config });
    const b = await make({ config, resyncIntervalMs: 60_000 });
    down.value = true;
    a.recordFailure();
    await vi.advanceTimersByTimeAsync(100); // the flush fails: a blip, but a is on its local breaker
    expect(a.source).toBe('local');
    down.value = false;
    for (let i = 0; i < 3; i++) b.recordFailure(); // the shared breaker trips: a hears it on the channel
    await vi.advanceTimersByTimeAsync(110);
    expect([a.source, a.state]).toEqual(['shared', 'open']); // rejoined then, not at its next resync (t = 10 s)
  });

  it('holds a caller’s store to the command timeout: a call that hangs sends the pod to its fallback', async () => {
    let hang = false;
    const stalled = wrapped(store, {
      record: (...args: Parameters<BreakerStore['record']>) => (hang ? new Promise(() => {}) : store.record(...args)),
    });
    const registry = new Registry();
    const b = await make({ store: stalled, registry, commandTimeoutMs: 250, config: { failureThreshold: 3 } });
    hang = true;
    for (let i = 0; i < 3; i++) b.recordFailure(); // an early flush: the call never settles
    await vi.advanceTimersByTimeAsync(250);
    expect(b.source).toBe('shared'); // due, but a reply already in the socket would still be read first
    await vi.advanceTimersByTimeAsync(1);
    expect(b.source).toBe('local');
    expect(b.state).toBe('open'); // the same outcomes went to the local breaker
    expect(await registry.metrics()).toContain(
      'breakwater_breaker_store_errors_total{breaker="pusher",kind="timeout"} 1',
    );
  });

  it('logs "went down" and "still down" as two events, each aggregated, and never throws on the fallback', async () => {
    const { logger, lines } = capturingLogger();
    const down = { value: false };
    const b = await make({ store: downable(store, down), logger, resyncIntervalMs: 1_000 });
    down.value = true;
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100); // the flush fails: fallback
    await vi.advanceTimersByTimeAsync(5_000); // five resyncs try to rejoin, and fail
    expect(b.source).toBe('local');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'shared breaker state unreachable: continuing on the local breaker',
      'shared breaker state still unreachable; staying on the local breaker',
    ]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a flapping store and repeated probes log one line each per window, not one per flap or probe', async () => {
    const { logger, lines } = capturingLogger();
    const down = { value: false };
    const b = await make({
      store: downable(store, down),
      logger,
      resyncIntervalMs: 1_000,
      config: { failureThreshold: 1_000, cooldownMs: 1_000 },
    });
    for (let flap = 0; flap < 5; flap++) {
      down.value = true;
      b.recordFailure();
      await vi.advanceTimersByTimeAsync(100); // the flush fails: fallback
      down.value = false;
      await vi.advanceTimersByTimeAsync(1_000); // the next resync rejoins
      expect(b.source).toBe('shared');
    }
    for (let probe = 0; probe < 3; probe++) {
      await store.record('pusher', 'pod-x', { failures: 1_000, successes: 0 }); // another pod trips it
      vi.setSystemTime(Date.now() + 1_000); // cooldown over
      const lease = await b.acquireProbe();
      if (lease) await b.reportProbe(lease, 'success');
    }
    const messages = lines.filter((l) => l.level !== 'info' || !l.msg.startsWith('breaker ')).map((l) => l.msg);
    expect(messages).toEqual([
      'shared breaker state unreachable: continuing on the local breaker',
      'shared breaker state reachable again: rejoined',
      'probe lease granted',
      'probe reported',
    ]);
  });
});
