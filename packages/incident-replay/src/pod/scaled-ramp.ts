import type { RampStatus, ReconnectRamp } from '@breakwater/breaker-core';

/** The ramp as the replay's pod uses it: the sessions' view, and what the pod reports of it. */
export interface ScaledRamp extends ReconnectRamp {
  /** The fleet-wide rate as of this pod's latest exchange with Redis, admissions a scenario second. */
  rampRatePerSecond(): number;
  /** Takes this pod's sessions were admitted on (booked slots included). */
  readonly admitted: number;
}

/**
 * The reconnect ramp as the replay's sessions must see it. The ramp decides on Redis
 * TIME, so its `delayMs` and `retryAfterMs` are wall milliseconds; sessions wait on the
 * scaled scenario clock. Without this conversion a session booked 1 s ahead would wait
 * 1 s of scenario time, i.e. 1/time-scale of a wall second, and the ramp would admit
 * time-scale times faster than its rate.
 *
 * Reports go the other way: the only duration in one is pusher's `Retry-After`, which
 * the stand-in speaks in scenario seconds (it runs on the scenario clock), so it is
 * divided by the scale for the ramp's wall-clock pause. The admission handed back
 * carries the ramp's epoch, which the scaled copy keeps.
 */
export function scaledRamp(ramp: ReconnectRamp & { readonly status: RampStatus }, timeScale: number): ScaledRamp {
  let admitted = 0;
  return {
    async take(cost) {
      const decision = await ramp.take(cost);
      if (decision.admitted) admitted += cost ?? 1;
      return decision.admitted
        ? { ...decision, delayMs: decision.delayMs * timeScale }
        : { ...decision, retryAfterMs: decision.retryAfterMs * timeScale };
    },
    report(admission, feedback) {
      ramp.report?.(
        admission,
        feedback.retryAfterMs === undefined
          ? feedback
          : { ...feedback, retryAfterMs: Math.round(feedback.retryAfterMs / timeScale) },
      );
    },
    rampRatePerSecond: () => ramp.status.ratePerSec / timeScale,
    get admitted() {
      return admitted;
    },
  };
}
