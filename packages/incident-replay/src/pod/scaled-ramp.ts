import type { ReconnectRamp } from '@breakwater/breaker-core';

/**
 * The reconnect ramp as the replay's sessions must see it. The ramp decides on Redis
 * TIME, so its `delayMs` and `retryAfterMs` are wall milliseconds; sessions wait on the
 * scaled scenario clock. Without this conversion a session booked 1 s ahead would wait
 * 1 s of scenario time, i.e. 1/time-scale of a wall second, and the ramp would admit
 * time-scale times faster than its rate.
 *
 * Reports go the other way unchanged: the only duration in one is pusher's
 * `Retry-After`, which the stand-in speaks in wall seconds, as the ramp counts. The
 * admission handed back carries the ramp's epoch, which the scaled copy keeps.
 */
export function scaledRamp(ramp: ReconnectRamp, timeScale: number): ReconnectRamp {
  return {
    async take(cost) {
      const decision = await ramp.take(cost);
      return decision.admitted
        ? { ...decision, delayMs: decision.delayMs * timeScale }
        : { ...decision, retryAfterMs: decision.retryAfterMs * timeScale };
    },
    report(admission, feedback) {
      ramp.report?.(admission, feedback);
    },
  };
}
