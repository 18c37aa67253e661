import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerStore } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import { memoryFleet, wrapped } from './testing/memory-fleet.js';

/**
 * Batching through a ClusterBreaker on a MemoryBreakerStore, with fake timers:
 * one record call per flush interval, the early flush (couldTripAlone), the
 * interval measured from the previous send, the hot path's timer and microtask
 * budget, and close() with a flush in flight.
 */

const fleet = memoryFleet();
const make = fleet.make;
let store: MemoryBreakerStore;
beforeEach(() => {
  store = fleet.store;
});

describe('OutcomeBatcher (through ClusterBreaker)', () => {
  it('batches outcomes: many records, one store call per flush interval', async () => {
    const b = await make({ config: { failureThreshold: 1_000 } });
    const record = vi.spyOn(store, 'record');
    for (let i = 0; i < 300; i++) b.recordFailure();
    for (let i = 0; i < 100; i++) b.recordSuccess();
    expect(record).not.toHaveBeenCalled(); // nothing on the caller's stack
    await vi.advanceTimersByTimeAsync(100);
    expect(record).toHaveBeenCalledTimes(1);
    expect(record).toHaveBeenCalledWith('pusher', 'pod-0', { failures: 300, successes: 100 });
    await vi.advanceTimersByTimeAsync(1_000); // idle ticks send nothing
    expect(record).toHaveBeenCalledTimes(1);
  });

  it('flushes at once when this pod alone could trip, then trips', async () => {
    const b = await make({ flushIntervalMs: 10_000, resyncIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) b.recordFailure();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(false);
  });

  it('never sends more than one record call per flush interval, even with urgent flushes', async () => {
    const b = await make({ config: { failureThreshold: 5, quorum: 2 } }); // cannot trip alone
    const record = vi.spyOn(store, 'record');
    for (let tick = 0; tick < 10; tick++) {
      for (let i = 0; i < 50; i++) b.recordFailure();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(record.mock.calls.length).toBeLessThanOrEqual(10);
    expect(record.mock.calls.reduce((n, c) => n + (c[2] as { failures: number }).failures, 0)).toBe(500);
  });

  it('flushes at once by the failure-rate rule too', async () => {
    const b = await make({
      flushIntervalMs: 10_000,
      resyncIntervalMs: 60_000,
      config: { failureThreshold: 1_000, failureRate: { threshold: 0.5, minimumCalls: 10 } },
    });
    for (let i = 0; i < 5; i++) b.recordFailure();
    for (let i = 0; i < 5; i++) b.recordSuccess(); // the 10th call reaches minimumCalls
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state).toBe('open');
  });

  it('does not flush early when this pod alone cannot trip (quorum 2)', async () => {
    const b = await make({ flushIntervalMs: 10_000, config: { failureThreshold: 5, quorum: 2 } });
    const record = vi.spyOn(store, 'record');
    for (let i = 0; i < 50; i++) b.recordFailure();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(record).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(record).toHaveBeenCalledTimes(1);
  });

  it('sends the next batch one interval after the previous flush started, not after it ended', async () => {
    const sentAt: number[] = [];
    const slow = wrapped(store, {
      record: async (...args: Parameters<BreakerStore['record']>) => {
        sentAt.push(Date.now());
        await new Promise((r) => setTimeout(r, 40)); // each record call takes 40 ms
        return store.record(...args);
      },
    });
    const b = await make({ store: slow, flushIntervalMs: 100, resyncIntervalMs: 60_000, config: { windowMs: 60_000 } });
    const t0 = Date.now();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(120); // first flush at +100, in flight until +140
    b.recordFailure(); // counted during the flush
    await vi.advanceTimersByTimeAsync(130); // at +250
    for (let i = 0; i < 20; i++) b.recordFailure(); // could trip alone, but the interval since +200 is not over
    await vi.advanceTimersByTimeAsync(100);
    expect(sentAt.map((t) => t - t0)).toEqual([100, 200, 300]);
    expect(b.state).toBe('open');
  });

  it('asks for an early flush once per interval, not once per call or per event-loop turn', async () => {
    const b = await make({ flushIntervalMs: 100, config: { failureThreshold: 5, windowMs: 60_000 } });
    const record = vi.spyOn(store, 'record');
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(110); // one flush at +100
    const microtasks = vi.spyOn(globalThis, 'queueMicrotask');
    const timers = vi.spyOn(globalThis, 'setTimeout');
    for (let turn = 0; turn < 80; turn++) {
      // Above the threshold on every turn, but the interval since +100 is not over.
      for (let i = 0; i < 10; i++) b.recordFailure();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(microtasks).toHaveBeenCalledTimes(1);
    // The batch's timer (set by its first outcome, for +210), then the early flush's, for +200.
    expect(timers).toHaveBeenCalledTimes(2);
    microtasks.mockRestore();
    timers.mockRestore();
    await vi.advanceTimersByTimeAsync(10);
    expect(record).toHaveBeenCalledTimes(2);
    expect(record.mock.calls[1]?.[2]).toEqual({ failures: 800, successes: 0 });
    expect(b.state).toBe('open');
    const later = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 1_000; i++) expect(b.allow()).toBe(false); // open: allow() schedules nothing either
    expect(later).not.toHaveBeenCalled();
    later.mockRestore();
  });

  it('close() during a flush waits for it, then sends what was counted after it started', async () => {
    const slow = wrapped(store, {
      record: async (...args: Parameters<BreakerStore['record']>) => {
        await new Promise((r) => setTimeout(r, 40));
        return store.record(...args);
      },
    });
    const b = await make({ store: slow, config: { failureThreshold: 1_000 } });
    fleet.release(b);
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(110); // the flush of 1 is in flight until +140
    b.recordFailure();
    b.recordSuccess();
    const closing = b.close();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    expect((await store.snapshot('pusher')).window).toMatchObject({ failures: 2, successes: 1 });
  });
});
