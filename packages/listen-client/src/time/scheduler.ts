/**
 * Time for a session: the current time and one-shot timers. Every time-dependent
 * piece (backoff, probes, connect timeout, liveness, conversation timeouts) goes
 * through one, so tests drive time by hand ({@link ManualScheduler}) instead of
 * sleeping.
 */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque: whatever the scheduler's setTimeout returned. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Real time: `Date.now` and the global timers. */
export const systemScheduler: Scheduler = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NodeJS.Timeout),
});

export function isScheduler(value: unknown): value is Scheduler {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Scheduler).now === 'function' &&
    typeof (value as Scheduler).setTimeout === 'function' &&
    typeof (value as Scheduler).clearTimeout === 'function'
  );
}
