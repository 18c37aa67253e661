import { afterEach, beforeEach, vi } from 'vitest';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import type { BreakerStore } from '../../store/breaker-store.js';
import { MemoryBreakerStore } from '../../store/memory-store.js';
import type { ClusterBreaker } from '../cluster-breaker.js';
import { createClusterBreaker } from '../create-cluster-breaker.js';
import type { ClusterBreakerOptions } from '../options.js';

/**
 * Test support for the runtime's unit tests (not built into dist): pods on one
 * MemoryBreakerStore under vitest's fake timers, and stores with a method
 * made to fail, hang or answer late.
 */
export interface MemoryFleet {
  /** The shared store, new for each test; its clock is the (fake) Date.now. */
  readonly store: MemoryBreakerStore;
  /** A ClusterBreaker named `pusher` on `store` (pods `pod-0`, `pod-1`, …), closed after the test. */
  make(extra?: Partial<ClusterBreakerOptions>): Promise<ClusterBreaker>;
  /** The test closes `breaker` itself. */
  release(breaker: ClusterBreaker): void;
}

/** Registers the hooks: fake timers from 2027-01-15, a fresh store, every pod closed afterwards. */
export function memoryFleet(): MemoryFleet {
  let store: MemoryBreakerStore | undefined;
  const breakers: ClusterBreaker[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_800_000_000_000 });
    store = new MemoryBreakerStore({ clock: () => Date.now() });
  });
  afterEach(async () => {
    for (const b of breakers.splice(0)) await b.close();
    vi.useRealTimers();
  });
  const current = (): MemoryBreakerStore => {
    if (!store) throw new Error('memoryFleet(): use it inside a test');
    return store;
  };
  return {
    get store() {
      return current();
    },
    async make(extra = {}) {
      const breaker = await createClusterBreaker({
        name: 'pusher',
        store: current(),
        podId: `pod-${breakers.length}`,
        startTimeoutMs: 0,
        ...extra,
      });
      breakers.push(breaker);
      return breaker;
    },
    release(breaker) {
      const at = breakers.indexOf(breaker);
      if (at >= 0) breakers.splice(at, 1);
    },
  };
}

/**
 * `target` with some methods replaced (the rest bound to it), so a test can
 * make one call fail, hang or answer late while the others behave.
 */
export function wrapped(
  target: MemoryBreakerStore,
  replace: Partial<Record<keyof BreakerStore, unknown>>,
): BreakerStore {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'string' && prop in replace) return replace[prop as keyof BreakerStore];
      const value: unknown = Reflect.get(t, prop, receiver);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/** `target`, with record/snapshot/register failing while `down.value` is true. */
export function downable(target: MemoryBreakerStore, down: { value: boolean }): BreakerStore {
  return wrapped(target, unreachable(target, down));
}

/** Replacements for {@link wrapped}: record/snapshot/register of `target`, failing while `down.value` is true. */
export function unreachable(
  target: MemoryBreakerStore,
  down: { value: boolean },
): Pick<BreakerStore, 'record' | 'snapshot' | 'register'> {
  const fail = () => Promise.reject(new StoreUnavailableError('connection refused'));
  return {
    record: (...a) => (down.value ? fail() : target.record(...a)),
    snapshot: (name) => (down.value ? fail() : target.snapshot(name)),
    register: (...a) => (down.value ? fail() : target.register(...a)),
  };
}

/** A logger that keeps every line. */
export function capturingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: { ...obj }, msg });
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {}, child: () => logger };
  return { logger, lines };
}
