import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isBreakerOpenError } from '../errors/breaker-open-error.js';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import type { BreakerStore } from '../store/breaker-store.js';
import { MemoryBreakerStore } from '../store/memory-store.js';
import type { StateChangeEvent } from './breaker-events.js';
import type { ClusterBreaker } from './cluster-breaker.js';
import { createClusterBreaker } from './create-cluster-breaker.js';
import type { ClusterBreakerOptions } from './options.js';

/**
 * The runtime on a MemoryBreakerStore (single-process use), with fake timers:
 * batching, the hot path, events, metrics and options. Redis, faults and
 * multi-process behaviour are tested under test/breaker-core/runtime.
 */

let store: MemoryBreakerStore;
const breakers: ClusterBreaker[] = [];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  store = new MemoryBreakerStore({ clock: () => Date.now() });
});

afterEach(async () => {
  for (const b of breakers.splice(0)) await b.close();
  vi.useRealTimers();
});

/**
 * `store` with some methods replaced (the rest bound to it), so a test can make
 * one call fail, hang or answer late while the others behave.
 */
function wrapped(target: MemoryBreakerStore, replace: Partial<Record<keyof BreakerStore, unknown>>): BreakerStore {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && prop in replace) return replace[prop as keyof BreakerStore];
      const value: unknown = Reflect.get(t, prop, receiver);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/** A logger that keeps every line. */
function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: { ...obj }, msg });
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {}, child: () => logger };
  return { logger, lines };
}

/** `store`, with record/snapshot/register failing while `down.value` is true. */
function downable(target: MemoryBreakerStore, down: { value: boolean }): BreakerStore {
  const fail = () => Promise.reject(new StoreUnavailableError('connection refused'));
  return wrapped(target, {
    record: (...a: Parameters<BreakerStore['record']>) => (down.value ? fail() : target.record(...a)),
    snapshot: (name: string) => (down.value ? fail() : target.snapshot(name)),
    register: (...a: Parameters<BreakerStore['register']>) => (down.value ? fail() : target.register(...a)),
  });
}

async function make(extra: Partial<ClusterBreakerOptions> = {}): Promise<ClusterBreaker> {
  const breaker = await createClusterBreaker({
    name: 'pusher',
    store,
    podId: `pod-${breakers.length}`,
    startTimeoutMs: 0,
    ...extra,
  });
  breakers.push(breaker);
  return breaker;
}

describe('ClusterBreaker (single process, MemoryBreakerStore)', () => {
  it('starts closed and lets calls through', async () => {
    const b = await make();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(b.source).toBe('shared');
  });

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

  it('sees other pods’ transitions, half-opens on time, and lets exactly one probe', async () => {
    const a = await make({ config: { failureThreshold: 3, cooldownMs: 5_000 } });
    const b = await make({ config: { failureThreshold: 3, cooldownMs: 5_000 } });
    a.recordFailure();
    a.recordFailure();
    a.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect([a.state, b.state]).toEqual(['open', 'open']);
    await vi.advanceTimersByTimeAsync(5_000);
    expect([a.state, b.state]).toEqual(['half_open', 'half_open']);
    const [la, lb] = await Promise.all([a.acquireProbe(), b.acquireProbe()]);
    expect([la, lb].filter(Boolean)).toHaveLength(1);
    const winner = la ? a : b;
    expect(await winner.reportProbe((la ?? lb) as NonNullable<typeof la>, 'success')).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect([a.state, b.state]).toEqual(['closed', 'closed']);
  });

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
    expect(a.state).toBe('half_open');
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
    await vi.advanceTimersByTimeAsync(249);
    expect(b.source).toBe('shared');
    await vi.advanceTimersByTimeAsync(1);
    expect(b.source).toBe('local');
    expect(b.state).toBe('open'); // the same outcomes went to the local breaker
    expect(await registry.metrics()).toContain(
      'breakwater_breaker_store_errors_total{breaker="pusher",kind="timeout"} 1',
    );
  });

  it('gives transitions that probe replies bring their real cause', async () => {
    const config = { failureThreshold: 2, cooldownMs: 5_000 };
    // No pub/sub (with Redis the reply often arrives first): what the pod learns, it learns from replies.
    const deaf = wrapped(store, { subscribe: async () => ({ dispose() {} }) });
    const b = await make({ store: deaf, config, resyncIntervalMs: 60_000 });
    const causes: string[] = [];
    b.onStateChange((e) => causes.push(`${e.to}:${e.cause}`));
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(0);
    // The cooldown ends; before the pod's own timer resyncs, it asks for the probe: that reply half-opens it.
    vi.setSystemTime(Date.now() + 5_000);
    const lease = await b.acquireProbe();
    if (!lease) throw new Error('no lease');
    expect(await b.reportProbe(lease, 'failure')).toBe(true);
    vi.setSystemTime(Date.now() + 5_000);
    const again = await b.acquireProbe();
    if (!again) throw new Error('no lease');
    expect(await b.reportProbe(again, 'success')).toBe(true);
    expect(causes).toEqual(['open:trip', 'half_open:half_open', 'open:reopen', 'half_open:half_open', 'closed:close']);
  });

  it('execute() runs and records, and rejects with BreakerOpenError without calling fn when open', async () => {
    const b = await make({ config: { failureThreshold: 2 } });
    expect(await b.execute(() => 42)).toBe(42);
    await expect(b.execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      b.execute(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    await vi.advanceTimersByTimeAsync(100);
    expect(b.state).toBe('open');
    const fn = vi.fn();
    const err = await b.execute(fn).catch((e: unknown) => e);
    expect(isBreakerOpenError(err)).toBe(true);
    expect(err).toMatchObject({ breaker: 'pusher', state: 'open' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('in shadow mode computes the state but never refuses, counting would-be rejections', async () => {
    const registry = new Registry();
    const b = await make({ config: { failureThreshold: 2, mode: 'shadow' }, registry });
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect(b.state).toBe('open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    const text = await registry.metrics();
    expect(text).toContain('breakwater_breaker_rejections_total{breaker="pusher",mode="shadow"} 2');
    expect(text).not.toContain('mode="enforce"');
  });

  it('follows a force-open at once and emits typed, disposable state-change events', async () => {
    const b = await make();
    const events: StateChangeEvent[] = [];
    const sub = b.onStateChange((e) => events.push(e));
    await store.forceOpen('pusher', { reason: 'drill', actor: 'sre', ttlMs: 2_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state).toBe('forced_open');
    expect(b.allow()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_001);
    expect(b.state).toBe('closed');
    expect(events.map((e) => [e.from, e.to, e.cause])).toEqual([
      ['closed', 'forced_open', 'force_open'],
      ['forced_open', 'closed', 'override_expired'],
    ]);
    expect(events[0]?.generation).toBe(1);
    sub.dispose();
    await store.forceOpen('pusher', { reason: 'again', actor: 'sre', ttlMs: 2_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toHaveLength(2);
  });

  it('reports config drift when its config differs from the stored one', async () => {
    await make({ config: { failureThreshold: 5 } });
    const registry = new Registry();
    const drifting = await make({ config: { failureThreshold: 9 }, registry });
    expect(drifting.diagnostics().configDrift).toBe(true);
    expect(drifting.snapshot.config.failureThreshold).toBe(5);
    expect(await registry.metrics()).toContain('breakwater_breaker_config_drift{breaker="pusher"} 1');
  });

  it('exports its metrics on the injected registry', async () => {
    const registry = new Registry();
    const b = await make({ config: { failureThreshold: 2 }, registry });
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    b.allow();
    await vi.advanceTimersByTimeAsync(100);
    const text = await registry.metrics();
    expect(text).toContain('breakwater_breaker_state{breaker="pusher"} 1');
    expect(text).toContain('breakwater_breaker_calls_total{breaker="pusher",outcome="failure"} 2');
    expect(text).toContain('breakwater_breaker_calls_total{breaker="pusher",outcome="success"} 1');
    expect(text).toContain('breakwater_breaker_rejections_total{breaker="pusher",mode="enforce"} 1');
    expect(text).toContain('breakwater_breaker_transitions_total{breaker="pusher",from="closed",to="open"} 1');
    expect(text).toContain('breakwater_breaker_store_up{breaker="pusher"} 1');
    expect(text).toMatch(/breakwater_breaker_flush_duration_seconds_count\{breaker="pusher",store="shared"\} \d/);
    expect(text).not.toContain('store="local"');
    expect(text).toMatch(/breakwater_breaker_view_staleness_seconds\{breaker="pusher"\} \d/);
  });

  it('logs one line per transition', async () => {
    const lines: Array<{ level: string; obj: object; msg: string }> = [];
    const logger = {
      info: (obj: object, msg: string) => lines.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj, msg }),
      error: (obj: object, msg: string) => lines.push({ level: 'error', obj, msg }),
      debug: () => {},
      child: () => logger,
    };
    const b = await make({ config: { failureThreshold: 1 }, logger });
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(100);
    expect(lines.filter((l) => l.msg.includes('->'))).toEqual([
      expect.objectContaining({ level: 'info', msg: 'breaker closed -> open' }),
    ]);
  });

  it('rejects bad options naming the option, opening nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'bad name', store }, 'name'],
      [{ name: 'p' }, 'options.redis'],
      [{ name: 'p', store, redis: 'redis://x' }, 'options.redis'],
      [{ name: 'p', store, flushIntervalMs: 0 }, 'options.flushIntervalMs'],
      [{ name: 'p', store, resyncIntervalMs: 10 }, 'options.resyncIntervalMs'],
      [{ name: 'p', store, commandTimeoutMs: 1.5 }, 'options.commandTimeoutMs'],
      [{ name: 'p', store, podId: 'has space' }, 'options.podId'],
      [{ name: 'p', store, config: { failureThreshold: -1 } }, 'options.config.failureThreshold'],
      [{ name: 'p', store, clock: 'now' }, 'options.clock'],
      [{ name: 'p', store, flushInterval: 5 }, 'options.flushInterval'],
    ];
    for (const [options, argument] of cases) {
      const err = await createClusterBreaker(options as never).catch((e: unknown) => e);
      expect(isInvalidArgumentError(err), JSON.stringify(Object.keys(options))).toBe(true);
      expect((err as { argument: string }).argument).toBe(argument);
    }
    expect(await store.list()).toEqual([]);
  });

  it('close() during a flush waits for it, then sends what was counted after it started', async () => {
    const slow = wrapped(store, {
      record: async (...args: Parameters<BreakerStore['record']>) => {
        await new Promise((r) => setTimeout(r, 40));
        return store.record(...args);
      },
    });
    const b = await make({ store: slow, config: { failureThreshold: 1_000 } });
    breakers.pop();
    b.recordFailure();
    await vi.advanceTimersByTimeAsync(110); // the flush of 1 is in flight until +140
    b.recordFailure();
    b.recordSuccess();
    const closing = b.close();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    expect((await store.snapshot('pusher')).window).toMatchObject({ failures: 2, successes: 1 });
  });

  it('after close() the hot path still answers and nothing is sent', async () => {
    const b = await make();
    breakers.pop();
    b.recordFailure();
    await b.close(); // the last counted outcome is flushed
    expect((await store.snapshot('pusher')).window.failures).toBe(1);
    b.recordFailure();
    expect(b.allow()).toBe(true);
    expect(await b.acquireProbe()).toBeNull();
    await b.close();
  });

  it('subscribes again after a failed subscribe, once the store answers a resync', async () => {
    let failSubscribe = true;
    const flaky = wrapped(store, {
      subscribe: (name: string, listener: Parameters<BreakerStore['subscribe']>[1]) => {
        if (!failSubscribe) return store.subscribe(name, listener);
        failSubscribe = false;
        return Promise.reject(new StoreUnavailableError('subscribe: connection refused'));
      },
    });
    const b = await make({ store: flaky, resyncIntervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(1_000); // a resync succeeds: subscribe again
    const causes: string[] = [];
    b.onStateChange((e) => causes.push(e.cause));
    await store.forceOpen('pusher', { reason: 'drill', actor: 'sre', ttlMs: 60_000 });
    await vi.advanceTimersByTimeAsync(0); // no resync is due: only pub/sub can tell it
    expect(b.state).toBe('forced_open');
    expect(causes).toEqual(['force_open']);
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
