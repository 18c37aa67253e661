import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { isBreakerOpenError } from '../errors/breaker-open-error.js';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import type { BreakerStore } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { StateChangeEvent } from './breaker-events.js';
import { isClusterBreaker } from './cluster-breaker.js';
import { createClusterBreaker } from './create-cluster-breaker.js';
import { memoryFleet, wrapped } from './testing/memory-fleet.js';

/**
 * ClusterBreaker on a MemoryBreakerStore (single-process use), with fake
 * timers: the hot path, execute(), probes, events, metrics, logs and options.
 * Batching is in outcome-batcher.test.ts, the fallback in
 * cluster-breaker-fallback.test.ts, the one lease per pod in
 * own-probe-lease.test.ts; Redis, faults and multi-process behaviour under
 * test/breaker-core/runtime.
 */

const fleet = memoryFleet();
const make = fleet.make;
let store: MemoryBreakerStore;
beforeEach(() => {
  store = fleet.store;
});

describe('ClusterBreaker (single process, MemoryBreakerStore)', () => {
  it('starts closed and lets calls through', async () => {
    const b = await make();
    expect(b.state).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(b.source).toBe('shared');
  });

  it('is recognised by isClusterBreaker(), a brand check that works across package copies', async () => {
    const b = await make();
    expect(isClusterBreaker(b)).toBe(true);
    expect(isClusterBreaker({ [Symbol.for('breakwater.cluster-breaker')]: true })).toBe(true);
    expect(isClusterBreaker(null)).toBe(false);
    expect(isClusterBreaker('pusher')).toBe(false);
  });

  it('is made only by createClusterBreaker(): the constructor wants a key the package does not export', async () => {
    const b = await make();
    const Ctor = b.constructor as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('ClusterBreaker.construct'), {})).toThrow(
      new TypeError('use createClusterBreaker() to make a ClusterBreaker'),
    );
    const api = await import('../index.js');
    expect(Object.keys(api)).not.toEqual(expect.arrayContaining(['CONSTRUCT']));
    expect(Object.keys(api)).not.toEqual(expect.arrayContaining(['START']));
    expect(Object.getOwnPropertyNames(Object.getPrototypeOf(b))).not.toContain('start');
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
    expect(text).toMatch(/breakwater_breaker_view_age_seconds\{breaker="pusher"\} \d/);
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

  it('after close() the hot path still answers and nothing is sent', async () => {
    const b = await make();
    fleet.release(b);
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
});
