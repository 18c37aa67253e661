/**
 * Scenario time for the sessions: `now()` advances `scale` times faster than
 * the wall clock and timers fire `scale` times sooner, so a 60 s cooldown or a
 * 12-minute outage plays out in a fraction of the time, with every ratio kept.
 * Structurally a listen-client `Scheduler`.
 */
export interface ScaledScheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(handle: object): void;
  /** Scenario ms → wall-clock ms. */
  toWall(ms: number): number;
}

export function scaledScheduler(scale: number, origin = Date.now()): ScaledScheduler {
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`scale: expected a positive number, got ${scale}`);
  return {
    now: () => origin + (Date.now() - origin) * scale,
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms) / scale),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    toWall: (ms) => ms / scale,
  };
}
