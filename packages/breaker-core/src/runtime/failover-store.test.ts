import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveBreakerConfig } from '../config/breaker-config.js';
import { BreakerNotFoundError } from '../errors/breaker-not-found-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NotRegisteredError } from '../errors/not-registered-error.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';
import { BreakerMetrics } from '../metrics.js';
import type { BreakerSnapshot } from '../state/breaker-state.js';
import type { BreakerStore } from '../store/breaker-store.js';
import { MemoryBreakerStore } from '../store/memory-store.js';
import type { RedisClient } from '../store/redis-store.js';
import type { ViewSource } from './breaker-events.js';
import { BreakerSignals } from './breaker-signals.js';
import { FailoverStore } from './failover-store.js';
import { RepeatLog } from './repeat-log.js';
import { StoreDeadline } from './store-deadline.js';
import { capturingLogger, wrapped } from './testing/memory-fleet.js';

/**
 * The FailoverStore on its own: a MemoryBreakerStore as the shared store
 * (wrapped to fail, hang or answer late), a fake command connection, fake
 * timers. What each call answers and from which store; the fallback's restore;
 * the rejoin (registration, replay, the flush that waits for it); the error
 * kinds (bug, timeout, not_found, not_registered).
 */

const NAME = 'pusher';
const config = resolveBreakerConfig({ failureThreshold: 3, cooldownMs: 10_000 });
let shared: MemoryBreakerStore;

beforeEach(async () => {
  vi.useFakeTimers({ now: 1_800_000_000_000 });
  shared = new MemoryBreakerStore({ clock: () => Date.now() });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Setup {
  /** The shared store as the FailoverStore sees it (default: `shared` as is). */
  store?: BreakerStore;
  source?: ViewSource;
  client?: { status: string; disconnect: (reconnect?: boolean) => void };
  /** What the pod knows (default: the shared snapshot after registering). */
  known?: BreakerSnapshot;
  offsetMs?: number;
}

async function setup(s: Setup = {}) {
  const source = s.source ?? 'shared';
  const initial = source === 'shared' ? (await shared.register(NAME, config)).snapshot : undefined;
  const local = new MemoryBreakerStore({ clock: () => Date.now() });
  await local.register(NAME, config);
  const knows = { known: s.known ?? initial ?? (await local.snapshot(NAME)), offsetMs: s.offsetMs ?? 0 };
  const { logger, lines } = capturingLogger();
  const registry = new Registry();
  const signals = new BreakerSignals((err) => {
    throw err;
  });
  const degraded: Error[] = [];
  signals.storeDegraded.on((e) => degraded.push(e.error));
  const failover = new FailoverStore({
    name: NAME,
    podId: 'pod-0',
    config,
    clock: () => Date.now(),
    shared: s.store ?? shared,
    local,
    deadline: new StoreDeadline(250),
    client: s.client as RedisClient | undefined,
    ownsShared: false,
    source,
    configDrift: false,
    knows,
    log: logger,
    repeatLog: RepeatLog.for(logger),
    metrics: BreakerMetrics.for(registry),
    signals,
  });
  return { failover, local, knows, lines, registry, degraded };
}

const refused = () => Promise.reject(new StoreUnavailableError('connection refused'));

describe('FailoverStore', () => {
  it('answers from the shared store while it answers, every reply tagged with its store', async () => {
    const { failover, local } = await setup();
    const { answer, fellBack } = await failover.record({ failures: 2, successes: 1 });
    expect(answer?.source).toBe('shared');
    expect(fellBack).toBeUndefined();
    expect(answer?.reply.snapshot.window).toMatchObject({ failures: 2, successes: 1 });
    expect((await local.snapshot(NAME)).window.failures).toBe(0);
    expect((await failover.refresh()).answer?.source).toBe('shared');
    expect(failover.source).toBe('shared');
  });

  it('on a failed shared call falls back to a local breaker restored from what the pod knew, and records there', async () => {
    await shared.register(NAME, config);
    const tripped = await shared.record(NAME, 'pod-9', { failures: 3, successes: 0 }); // open, generation 1
    const known = tripped.snapshot;
    const store = wrapped(shared, { record: refused });
    // The store's clock runs 5 s behind the pod's: the cooldown carried over (later than a full one
    // from the store's now) ends 5 s later in pod time.
    const { failover, degraded, registry } = await setup({ store, known, offsetMs: -5_000 });
    const { answer, fellBack } = await failover.record({ failures: 1, successes: 0 });
    expect(failover.source).toBe('local');
    expect(fellBack).toMatchObject({ state: 'open', generation: 1 });
    expect(fellBack?.cooldownUntil).toBe((known.cooldownUntil as number) + 5_000);
    expect(answer?.source).toBe('local');
    expect(answer?.reply.snapshot.window.failures).toBe(1); // the outcomes went to the local breaker
    expect(degraded).toHaveLength(1);
    await failover.record({ failures: 1, successes: 0 }); // already local: no second fallback
    expect(degraded).toHaveLength(1);
    const text = await registry.metrics();
    expect(text).toContain('breakwater_breaker_store_up{breaker="pusher"} 0');
    expect(text).toContain('breakwater_breaker_store_errors_total{breaker="pusher",kind="unavailable"} 1');
    expect(text).toMatch(/flush_duration_seconds_count\{breaker="pusher",store="shared"\} 1/);
    expect(text).toMatch(/flush_duration_seconds_count\{breaker="pusher",store="local"\} 2/);
  });

  it('takes a refused argument for a bug, not a store problem: no fallback, no answer, an error logged', async () => {
    const store = wrapped(shared, { record: () => Promise.reject(new InvalidArgumentError('podId', 'bad')) });
    const { failover, lines, degraded } = await setup({ store });
    expect(await failover.record({ failures: 1, successes: 0 })).toEqual({});
    expect(failover.source).toBe('shared');
    expect(degraded).toEqual([]);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'store refused a breaker call: this is a bug',
    ]);
  });

  it('ends a slow call at the deadline and drops the breaker’s own connection: its ready is the cue to rejoin', async () => {
    const store = wrapped(shared, { acquireProbe: () => new Promise(() => {}) });
    const client = { status: 'ready', disconnect: vi.fn() };
    const { failover, registry } = await setup({ store, client });
    const pending = failover.acquireProbe();
    await vi.advanceTimersByTimeAsync(250 + 1); // the deadline, and the loop turn after it
    const { answer, fellBack } = await pending;
    expect(fellBack).toBeDefined();
    expect(answer).toMatchObject({ source: 'local', reply: { granted: false, reason: 'not_half_open' } });
    expect(client.disconnect).toHaveBeenCalledExactlyOnceWith(true); // nothing queues behind a stalled Redis
    expect(await registry.metrics()).toContain(
      'breakwater_breaker_store_errors_total{breaker="pusher",kind="timeout"} 1',
    );
  });

  it('keeps the connection when rejoin attempts time out against a store that answers late', async () => {
    const late = <T>(answer: () => Promise<T>) => new Promise<T>((r) => setTimeout(() => r(answer()), 400));
    const store = wrapped(shared, {
      record: (...a: Parameters<BreakerStore['record']>) => late(() => shared.record(...a)),
    });
    const client = { status: 'ready', disconnect: vi.fn() };
    const { failover, registry } = await setup({ store, client, source: 'local' });
    for (let attempt = 0; attempt < 3; attempt++) {
      const rejoin = failover.rejoin();
      await vi.advanceTimersByTimeAsync(251);
      expect(await rejoin).toBeUndefined(); // timed out: still apart
      await vi.advanceTimersByTimeAsync(750); // its late reply arrives (and is dropped); the next resync
    }
    expect(client.disconnect).not.toHaveBeenCalled(); // slow, not lost: no reconnect a second
    expect(await registry.metrics()).toContain(
      'breakwater_breaker_store_errors_total{breaker="pusher",kind="timeout"} 3',
    );
  });

  it('drops it when a rejoin finds a late call still unanswered a whole deadline past its own', async () => {
    const store = wrapped(shared, { record: () => new Promise(() => {}) });
    const client = { status: 'ready', disconnect: vi.fn() };
    const { failover } = await setup({ store, client, source: 'local' });
    const first = failover.rejoin();
    await vi.advanceTimersByTimeAsync(251);
    await first;
    expect(client.disconnect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(249);
    const second = failover.rejoin(); // times out 500 ms after the first call's deadline, that call unanswered
    await vi.advanceTimersByTimeAsync(251);
    await second;
    // A lost connection: dropped, so ioredis fails what is queued on it and reconnects.
    expect(client.disconnect).toHaveBeenCalledExactlyOnceWith(true);
  });

  it('re-creates a breaker the shared store lost (not_found) from this pod’s config', async () => {
    const register = vi.spyOn(shared, 'register');
    const store = wrapped(shared, { snapshot: (name: string) => Promise.reject(new BreakerNotFoundError(name)) });
    const { failover } = await setup({ store });
    register.mockClear();
    const result = await failover.refresh();
    expect(result.recreated).toBe(true);
    expect(result.answer?.source).toBe('shared');
    expect(register).toHaveBeenCalledWith(NAME, config);
    expect(failover.source).toBe('shared');
  });

  it('rejoins a store it could never register with: registers first, replays what was counted apart', async () => {
    const register = vi.spyOn(shared, 'register');
    const client = { status: 'ready', disconnect: vi.fn() };
    const { failover, local } = await setup({ source: 'local', client });
    await failover.record({ failures: 2, successes: 1 }); // counted apart
    expect((await local.snapshot(NAME)).window.failures).toBe(2);
    vi.advanceTimersByTime(4_000);
    const rejoined = await failover.rejoin();
    expect(register).toHaveBeenCalledTimes(1);
    expect(failover.source).toBe('shared');
    expect(rejoined?.recovered).toEqual({ downtimeMs: 4_000, replayed: { failures: 2, successes: 1 } });
    expect(rejoined?.answer).toMatchObject({ source: 'shared', reply: { snapshot: { window: { failures: 2 } } } });
    expect(await failover.rejoin()).toBeUndefined(); // on the shared store: nothing to do
  });

  it('does not try to rejoin while the breaker’s connection is down, and stays apart when the store still fails', async () => {
    let down = true;
    const record = vi.fn((...a: Parameters<BreakerStore['record']>) => (down ? refused() : shared.record(...a)));
    const client = { status: 'reconnecting', disconnect: vi.fn() };
    const { failover, lines } = await setup({ store: wrapped(shared, { record }), client });
    await failover.record({ failures: 1, successes: 0 }); // falls back
    record.mockClear();
    expect(await failover.rejoin()).toBeUndefined();
    expect(record).not.toHaveBeenCalled(); // it would fail at once: the connection's 'ready' is the cue
    client.status = 'ready';
    expect(await failover.rejoin()).toBeUndefined();
    expect(failover.source).toBe('local');
    expect(lines.at(-1)?.msg).toBe('shared breaker state still unreachable; staying on the local breaker');
    down = false;
    expect((await failover.rejoin())?.recovered.replayed).toEqual({ failures: 1, successes: 0 });
  });

  it('registers again, once, when the store forgot this pod’s config (not_registered) during a rejoin', async () => {
    let forgotten = false;
    let failing = true;
    const store = wrapped(shared, {
      record: (...a: Parameters<BreakerStore['record']>) => {
        if (failing) return refused();
        if (forgotten) return Promise.reject(new NotRegisteredError(NAME));
        return shared.record(...a);
      },
      register: (...a: Parameters<BreakerStore['register']>) => {
        forgotten = false;
        return shared.register(...a);
      },
    });
    const { failover } = await setup({ store });
    await failover.record({ failures: 1, successes: 0 }); // falls back
    failing = false;
    forgotten = true;
    const rejoined = await failover.rejoin();
    expect(rejoined?.answer.reply.snapshot.window.failures).toBe(1);
    expect(forgotten).toBe(false);
  });

  it('holds a flush made during a rejoin until it ends, then sends it where the rejoin left the pod', async () => {
    let slow = false;
    const store = wrapped(shared, {
      record: (...a: Parameters<BreakerStore['record']>) =>
        slow ? new Promise((resolve) => setTimeout(() => resolve(shared.record(...a)), 100)) : shared.record(...a),
      snapshot: refused,
    });
    const { failover, local } = await setup({ store });
    await failover.refresh(); // the snapshot fails: fallback
    expect(failover.source).toBe('local');
    await failover.record({ failures: 1, successes: 0 }); // counted apart
    slow = true;
    const rejoining = failover.rejoin();
    expect(failover.rejoining).toBeDefined();
    const flush = failover.record({ failures: 2, successes: 0 }); // the local window is already read
    await vi.advanceTimersByTimeAsync(200);
    await rejoining;
    const { answer } = await flush;
    expect(answer?.source).toBe('shared');
    expect((await local.snapshot(NAME)).window.failures).toBe(1);
    expect((await shared.snapshot(NAME)).window.failures).toBe(3);
  });

  it('reports a local lease to the local breaker and a shared lease to the shared store', async () => {
    await shared.register(NAME, config);
    await shared.record(NAME, 'pod-9', { failures: 3, successes: 0 });
    vi.advanceTimersByTime(15_000); // past the cooldown and its jitter: half-open on the next call
    const half = await shared.snapshot(NAME);
    let down = false;
    const store = wrapped(shared, {
      acquireProbe: (...a: Parameters<BreakerStore['acquireProbe']>) => (down ? refused() : shared.acquireProbe(...a)),
      reportProbe: vi.fn((...a: Parameters<BreakerStore['reportProbe']>) => shared.reportProbe(...a)),
    });
    const { failover } = await setup({ store, known: half });
    const sharedLease = (await failover.acquireProbe()).answer;
    expect(sharedLease).toMatchObject({ source: 'shared', reply: { granted: true } });
    down = true;
    // Falls back: the local breaker, restored open for a cooldown of its own, grants once it is over.
    expect((await failover.acquireProbe()).answer).toMatchObject({ source: 'local', reply: { granted: false } });
    vi.advanceTimersByTime(15_000);
    const { answer } = await failover.acquireProbe();
    expect(answer).toMatchObject({ source: 'local', reply: { granted: true } });
    if (!answer?.reply.granted || !sharedLease?.reply.granted) throw new Error('no lease');
    // A copy of the lease (through IPC, a JSON round trip, a spread) is the same lease: known by its token.
    const copy = JSON.parse(JSON.stringify(answer.reply.lease));
    expect((await failover.reportProbe(copy, 'success')).answer).toMatchObject({
      source: 'local',
      reply: { accepted: true },
    });
    expect(store.reportProbe).not.toHaveBeenCalled();
    expect((await failover.reportProbe(sharedLease.reply.lease, 'failure')).answer?.source).toBe('shared');
    expect(store.reportProbe).toHaveBeenCalledTimes(1);
  });
});
