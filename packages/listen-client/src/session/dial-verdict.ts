import type { ProbeLease, RampAdmission, ReconnectRamp } from '@breakwater/breaker-core';
import type { SessionBreaker } from '../breaker/session-breaker.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';

/** How the connection in use ended, as far as the breaker is concerned. */
export type ConnectionEnd =
  /** pusher closed it with 1001 "going away" or 1012 "service restart": a pusher pod shutting down, as on every deploy. */
  | 'going_away'
  /** pusher closed it with 1000, or with a close frame that carried no code (1005). */
  | 'normal'
  /** Anything else: another close code, no close frame (1006), silence, a failed send. */
  | 'abnormal';

/**
 * What a loss was to the dial: its failed verdict (lost before it proved itself),
 * excused (a 1001 before it proved itself: no verdict), or after the verdict.
 */
export type LossVerdict = 'failed' | 'excused' | 'after_verdict';

export interface DialVerdictOptions {
  readonly breaker: SessionBreaker;
  readonly clock: Scheduler;
  /** `probeConfirmMs`. */
  readonly confirmMs: number;
  /** The half-open probe's lease, or null. */
  readonly lease: ProbeLease | null;
  /**
   * The reconnect ramp that admitted this dial, and its admission: it hears the verdict
   * too (success, failure, or overload with pusher's Retry-After). Null for a dial no
   * ramp admitted (a lease probe, no ramp, a ramp that failed and let it through).
   */
  readonly ramp?: { readonly ramp: ReconnectRamp; readonly admission: RampAdmission } | null;
  /**
   * Whether a 1001 within the confirm window is excused (no verdict) rather than a
   * failure: false when the session's previous connection was excused so already,
   * and no connection has proved itself since.
   */
  readonly excuseGoingAway: boolean;
}

/**
 * Everything the cluster breaker hears about one dial and the connection it
 * opened; the only place a session records an outcome or reports a probe.
 *
 * A completed handshake proves little. A pusher that accepts and then closes with
 * 1011 would count as a success (closing a half-open breaker fleet-wide, every
 * cooldown) and then as a failure. So the dial gets exactly one verdict:
 *
 * - its connection stayed open `confirmMs` (`probeConfirmMs`) on the session's
 *   scheduler: one success;
 * - lost sooner: one failure — whether it dropped, went silent or was closed
 *   with any code but 1001, 1000 included (a pusher handler that returns at once
 *   closes with 1000: the very "accepts and closes" the window is for);
 * - closed sooner by pusher with 1001 "going away": no verdict, once. That is a
 *   pusher pod shutting down, and on a rolling deploy a session that has just
 *   reconnected may land on the next pod to go: counted, a deploy could trip the
 *   breaker fleet-wide (and a probe that lands there would re-open it for a whole
 *   cooldown). It proves nothing either way, so nothing is recorded and a lease
 *   is left to expire (another pod then probes). But pusher saying "going away"
 *   on every connection is not a deploy: when the session's previous connection
 *   was excused so and none has proved itself since (`excuseGoingAway` false), it
 *   is one failure like any other early loss;
 * - never opened, or closed before the session could take it: one failure;
 * - abandoned (the session is closing, or closed the connection itself on an
 *   internal error): nothing — pusher did nothing wrong, and an unreported lease
 *   simply expires, letting another pod probe.
 *
 * Under the half-open lease the verdict goes to `reportProbe()` (and to nothing
 * else); otherwise to `recordSuccess()` / `recordFailure()`, and, when the reconnect
 * ramp admitted the dial, to the ramp's `report()` as well: `success`, `failure`, or
 * `overload` with pusher's `Retry-After` when the upgrade was answered 503 or 429 with
 * one (for the breaker that is a failure like any other).
 *
 * After a success, the connection is in use as any other: an abnormal loss of it
 * is a failure of its own (`recordFailure()`, lease or not); a clean close (1000,
 * 1001) is nothing. Once abandoned, nothing more is recorded.
 */
export class DialVerdict {
  readonly #options: DialVerdictOptions;
  /** `confirmed`: the success was given and the connection is still in use. */
  #state: 'dialing' | 'confirming' | 'confirmed' | 'settled' = 'dialing';
  #proven = false;
  #timer: TimerHandle | undefined;
  #overload: { readonly retryAfterMs: number } | undefined;

  constructor(options: DialVerdictOptions) {
    this.#options = options;
  }

  /** True once the dial's connection proved itself (its success was given). */
  get proven(): boolean {
    return this.#proven;
  }

  /**
   * The dial failed, or its connection closed before the session could take it;
   * `overload`: pusher answered the upgrade 503 or 429 with this `Retry-After`.
   */
  failed(overload?: { readonly retryAfterMs: number }): void {
    this.#overload = overload;
    this.#settle('failure');
  }

  /** The session took the connection: the verdict is success once it has lasted `confirmMs`. */
  opened(): void {
    if (this.#state !== 'dialing') return;
    const { clock, confirmMs } = this.#options;
    if (confirmMs === 0) {
      this.#settle('success');
      return;
    }
    this.#state = 'confirming';
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#settle('success');
    }, confirmMs);
  }

  /**
   * The connection in use was lost, ending as `end`. Within the confirm window
   * that loss is the dial's verdict: one failure, or none for an excused 1001;
   * after a success, an abnormal loss is recorded as a failure of its own.
   */
  lost(end: ConnectionEnd): LossVerdict {
    if (this.#state === 'confirmed') {
      this.#state = 'settled';
      if (end === 'abnormal') this.#record('failure');
      return 'after_verdict';
    }
    if (this.#state === 'settled') return 'after_verdict';
    if (end === 'going_away' && this.#options.excuseGoingAway) {
      this.#settle('abandoned');
      return 'excused';
    }
    this.#settle('failure');
    return 'failed';
  }

  /** The session is closing, or closed the connection itself: nothing (more) is reported. */
  abandon(): void {
    if (this.#state === 'confirmed') this.#state = 'settled';
    else this.#settle('abandoned');
  }

  /** `abandoned`: told nothing. */
  #settle(verdict: 'success' | 'failure' | 'abandoned'): void {
    if (this.#state === 'settled' || this.#state === 'confirmed') return;
    const { breaker, clock, lease } = this.#options;
    this.#state = verdict === 'success' ? 'confirmed' : 'settled';
    if (verdict === 'success') this.#proven = true;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (verdict === 'abandoned') return;
    this.#tellRamp(verdict);
    if (lease) {
      // reportProbe() never rejects by contract; one that does anyway must not reach
      // the process (this may run from a timer).
      void Promise.resolve()
        .then(() => breaker.reportProbe(lease, verdict))
        .catch(() => false);
    } else {
      this.#record(verdict);
    }
  }

  #tellRamp(verdict: 'success' | 'failure'): void {
    const admitted = this.#options.ramp;
    if (!admitted?.ramp.report) return;
    const overload = verdict === 'failure' ? this.#overload : undefined;
    try {
      admitted.ramp.report(
        admitted.admission,
        overload
          ? { outcome: 'overload', retryAfterMs: Math.min(86_400_000, Math.max(0, Math.round(overload.retryAfterMs))) }
          : { outcome: verdict },
      );
    } catch {
      // report() does no I/O and throws only for malformed input (a ramp's bug); this may
      // run from a timer, where a throw would reach the process.
    }
  }

  #record(verdict: 'success' | 'failure'): void {
    try {
      if (verdict === 'success') this.#options.breaker.recordSuccess();
      else this.#options.breaker.recordFailure();
    } catch {
      // record*() do no I/O and do not throw by contract; this may run from a timer,
      // where a throw would reach the process.
    }
  }
}
