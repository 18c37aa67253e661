/**
 * A cluster-wide admission gate for reconnects whose rate follows what the
 * downstream answers. When the breaker closes after an outage, every session of
 * every pod wants to reconnect at once; each asks the ramp, which admits at most
 * `burst` at once and its current rate after that, fleet-wide. Sessions tell it
 * how each admitted dial went ({@link ReconnectRamp.report}): while dials succeed
 * the rate grows (doubling per clean interval, then by a step), on failures,
 * timeouts and overload answers it is cut, and a `Retry-After` pauses admissions.
 * So recovery runs as fast as the downstream takes it, and no faster.
 *
 * Implementations: {@link RedisReconnectRamp} (one state in Redis shared by every
 * pod, each pod sending its sessions' takes and feedback as one script call per
 * interval) and {@link MemoryReconnectRamp} (one process; tests and single-pod use).
 * Both apply the same rules (`ramp-exchange.ts`, `lua/ramp-exchange-1.lua`).
 */
export interface ReconnectRamp {
  /**
   * Asks to reconnect, `cost` admissions (default 1). Resolves with the decision;
   * rejects only when the ramp cannot answer (StoreUnavailableError), never for "not now".
   */
  take(cost?: number): Promise<RampDecision>;
  /**
   * How a dial this ramp admitted went: what makes the rate follow the downstream.
   * Pass the admission `take()` resolved with. Does no I/O on the caller's stack and
   * never throws for a runtime condition (only InvalidArgumentError for malformed
   * input). Optional: a ramp without it keeps a fixed rate.
   */
  report?(admission: RampAdmission, feedback: RampFeedback): void;
}

/** The answer of {@link ReconnectRamp.take}. */
export type RampDecision =
  | {
      readonly admitted: true;
      /** Whole tokens left in the bucket after this admission (0 while slots are booked ahead). */
      readonly tokens: number;
      /**
       * Wait this long before reconnecting, ms: 0 = now; more = the caller holds a booked slot
       * that far ahead (its token is already taken), so it must not ask again.
       */
      readonly delayMs: number;
      /**
       * The ramp's epoch when it admitted: the time (ms, the ramp's clock) of its latest rate
       * change or pause. Feedback on a dial admitted before the ramp last cut its rate, paused
       * or restarted is stale and dropped (one cut per congestion episode); an increase makes
       * nothing stale, but only successes admitted at the current rate make it grow.
       * Absent from ramps that take no feedback.
       */
      readonly epoch?: number;
    }
  | {
      readonly admitted: false;
      /**
       * Every slot within `maxWaitMs` is booked, or the ramp is paused: ask again after this,
       * ms (with jitter). At least `minRetryAfterMs`.
       */
      readonly retryAfterMs: number;
    };

/** An admitting {@link RampDecision}: what {@link ReconnectRamp.report} takes back. */
export type RampAdmission = Extract<RampDecision, { admitted: true }>;

/** How an admitted dial went. */
export type RampOutcome =
  /** The connection proved itself (listen-client: stayed open `probeConfirmMs`). */
  | 'success'
  /** Refused, reset, timed out, or lost before it proved itself. */
  | 'failure'
  /** The downstream said it is overloaded: an HTTP 503 or 429 with `Retry-After` on the upgrade. */
  | 'overload';

export const RAMP_OUTCOMES: readonly RampOutcome[] = Object.freeze(['success', 'failure', 'overload']);

/** What a session reports of an admitted dial. */
export interface RampFeedback {
  readonly outcome: RampOutcome;
  /**
   * With `overload`: the downstream's `Retry-After`, ms. The ramp pauses every admission
   * fleet-wide until then (capped by `maxPauseMs`). Integer 0 – 86,400,000.
   */
  readonly retryAfterMs?: number;
}

/** A ramp's state as of its latest decision (on this pod: its latest exchange with Redis). */
export interface RampStatus {
  /** Admissions per second, fleet-wide. */
  readonly ratePerSec: number;
  /** Multiplicative growth stops here and growth by `increaseStepPerSec` begins (the rate of the latest cut). */
  readonly thresholdPerSec: number;
  /** The latest rate change or pause, ms on the ramp's clock (growth needs a success admitted since). */
  readonly epoch: number;
  /**
   * The epoch of the latest cut, pause or restart: the start of the current congestion
   * episode. Feedback on dials admitted before it is dropped as stale.
   */
  readonly cutEpoch: number;
  /** No admission before this, ms on the ramp's clock; 0 = not paused. */
  readonly pausedUntil: number;
}

export interface ReconnectRampOptions {
  /**
   * Admissions per second a ramp starts at: a new ramp, and one that has not been
   * contended (no caller had to wait) for `idleResetMs`. The default admits 10,000
   * sessions (30 pods × ~330) in about 3 min 20 s if it never grows, a rate one cold pusher
   * deployment takes as new handshakes. Kept to thousandths. Range [0.001, 1_000_000].
   * @default 50
   */
  ratePerSec?: number;
  /**
   * Floor of the rate: cuts stop here. Kept to thousandths. Range [0.001, ratePerSec].
   * `minRatePerSec = maxRatePerSec = ratePerSec` is a fixed-rate ramp.
   * @default ratePerSec / 10 (5)
   */
  minRatePerSec?: number;
  /**
   * Ceiling of the rate: growth stops here. Kept to thousandths. Range [ratePerSec, 1_000_000].
   * @default ratePerSec × 10, at most 1,000,000 (500)
   */
  maxRatePerSec?: number;
  /**
   * Bucket capacity: admissions allowed at once after a quiet period. Integer 1 – 1_000_000.
   * @default 50
   */
  burst?: number;
  /**
   * How far ahead a caller may book a slot, ms. A caller beyond the tokens at hand is given
   * the next free slot if it is at most this far ahead, and waits for it without asking
   * again; beyond it, it is refused with a `retryAfterMs`. Booked slots cannot be taken back
   * when the rate is cut, so this bounds what a cut cannot stop: `maxWaitMs × rate` dials.
   * 0 = no booking (a plain token bucket). Integer 0 – 3,600,000.
   * @default 1_000
   */
  maxWaitMs?: number;
  /**
   * A refused caller is told to ask again after at least this, ms. With short bookings most
   * waiting is done between asks: this bounds how often a waiting session asks (its pod's
   * ramp answers it; Redis sees one call per pod per interval). Integer 0 – 3,600,000.
   * @default 1_000
   */
  minRetryAfterMs?: number;
  /**
   * Slow start: the rate is multiplied by this after each clean interval, until it reaches
   * the threshold (the rate of the latest cut; at first `maxRatePerSec`). 1 = no slow start:
   * the rate grows by `increaseStepPerSec` per clean interval from the first one (a linear
   * ramp, for a pusher whose cold capacity and warm-up are known). Range [1, 10]. @default 2
   */
  increaseFactor?: number;
  /**
   * Above the threshold the rate grows by this per clean interval (additive increase).
   * Range [0, 1_000_000], kept to thousandths. @default ratePerSec / 10 (5)
   */
  increaseStepPerSec?: number;
  /**
   * Multiplicative decrease: the rate is multiplied by this on an overload answer, or when
   * failures reach `failureRatio` of an interval's outcomes. Range (0, 1]. @default 0.5
   */
  decreaseFactor?: number;
  /**
   * An interval whose failures are at least this share of its outcomes (and at least one)
   * cuts the rate; fewer failures are noise, and the interval still counts as clean.
   * Overload answers always cut. Range [0, 1]. @default 0.1
   */
  failureRatio?: number;
  /**
   * The adjustment interval, ms: the rate grows at most once per interval in which dials
   * admitted at the current rate succeeded (and callers had to wait: an unused rate proves
   * nothing). Cuts on overload answers are immediate, on failures at the interval's end.
   * Feedback on dials admitted before the latest cut, pause or restart is dropped, so the
   * fleet cuts once per congestion episode; an increase drops nothing (a dial admitted
   * before it that times out after it still counts), but growth needs a success admitted
   * at the current rate. Integer 10 – 600,000. @default 1_000
   */
  adjustIntervalMs?: number;
  /**
   * Longest pause a `Retry-After` may impose, ms; 0 = ignore `Retry-After` (an overload
   * still cuts the rate). Integer 0 – 3,600,000. @default 30_000
   */
  maxPauseMs?: number;
  /**
   * After this long without contention (no caller had to wait or was refused) the ramp
   * forgets what it learned: the rate returns to `ratePerSec`, the threshold to
   * `maxRatePerSec`. So the next recovery starts from the proven starting rate, not from
   * whatever the last one reached. Integer 1 – 86,400,000. @default 10_000
   */
  idleResetMs?: number;
}

/**
 * Defaults for every ramp; see {@link ReconnectRampOptions}. `minRatePerSec`,
 * `maxRatePerSec` and `increaseStepPerSec` follow `ratePerSec` (÷10, ×10, ÷10): the values
 * here are those of the default `ratePerSec`.
 */
export const DEFAULT_RECONNECT_RAMP_OPTIONS = Object.freeze({
  ratePerSec: 50,
  minRatePerSec: 5,
  maxRatePerSec: 500,
  burst: 50,
  maxWaitMs: 1_000,
  minRetryAfterMs: 1_000,
  increaseFactor: 2,
  increaseStepPerSec: 5,
  decreaseFactor: 0.5,
  failureRatio: 0.1,
  adjustIntervalMs: 1_000,
  maxPauseMs: 30_000,
  idleResetMs: 10_000,
});
