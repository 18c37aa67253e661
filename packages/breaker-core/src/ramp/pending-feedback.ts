import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { integerInRange, oneOf, plainObject } from '../validate.js';
import { NO_FEEDBACK, type RampFeedbackCounts } from './ramp-exchange.js';
import { RAMP_OUTCOMES, type RampAdmission, type RampFeedback, type RampOutcome } from './reconnect-ramp.js';

/** Longest `Retry-After` a report may carry, ms (a day; the ramp caps the pause at `maxPauseMs`). */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** A checked report: the admission's epoch, the outcome, the `Retry-After` (0 = none). */
export interface RampReport {
  readonly epoch: number;
  readonly outcome: RampOutcome;
  readonly retryAfterMs: number;
}

/**
 * Checks what {@link ReconnectRamp.report} was given. Throws InvalidArgumentError naming the
 * field for malformed input (a bug in the caller); returns null for an admission this kind
 * of ramp never makes (no epoch): nothing to learn from it.
 */
export function checkReport(admission: RampAdmission, feedback: RampFeedback): RampReport | null {
  const a = plainObject('admission', admission);
  if (a.admitted !== true) throw new InvalidArgumentError('admission', 'expected an admitting decision of take()');
  const f = plainObject('feedback', feedback);
  const outcome = oneOf('feedback.outcome', f.outcome, RAMP_OUTCOMES);
  const retryAfterMs =
    f.retryAfterMs === undefined ? 0 : integerInRange('feedback.retryAfterMs', f.retryAfterMs, 0, MAX_RETRY_AFTER_MS);
  if (typeof a.epoch !== 'number' || !Number.isInteger(a.epoch) || a.epoch < 0) return null;
  return { epoch: a.epoch, outcome, retryAfterMs };
}

/**
 * One pod's feedback waiting for its next exchange: counts for the newest epoch reported,
 * and the longest `Retry-After` of any. Counts of an older epoch are dropped as soon as a
 * newer one is reported (or known from a reply): the ramp would drop them too, since
 * feedback on dials admitted before the rate last changed is stale. `add()` is on the
 * session's path: it bumps numbers and allocates nothing.
 */
export class PendingFeedback {
  #epoch = 0;
  #successes = 0;
  #failures = 0;
  #overloads = 0;
  #retryAfterMs = 0;
  /** The newest epoch a reply showed: reports of older ones are stale already. */
  #known = 0;

  get empty(): boolean {
    return this.#successes + this.#failures + this.#overloads === 0 && this.#retryAfterMs === 0;
  }

  /** Adds a report; false if it was stale (its counts dropped; a `Retry-After` still kept). */
  add(report: RampReport): boolean {
    if (report.retryAfterMs > this.#retryAfterMs) this.#retryAfterMs = report.retryAfterMs;
    if (report.epoch < this.#known || report.epoch < this.#epoch) return false;
    if (report.epoch > this.#epoch) this.#reset(report.epoch);
    if (report.outcome === 'success') this.#successes++;
    else if (report.outcome === 'failure') this.#failures++;
    else this.#overloads++;
    return true;
  }

  /** A reply showed the ramp at `epoch`: counts of older epochs are dropped. */
  know(epoch: number): void {
    if (epoch > this.#known) this.#known = epoch;
    if (this.#epoch < this.#known) this.#reset(0);
  }

  /** Takes everything pending (for one exchange) and starts empty. */
  take(): RampFeedbackCounts {
    if (this.empty) return NO_FEEDBACK;
    const counts = {
      epoch: this.#successes + this.#failures + this.#overloads > 0 ? this.#epoch : 0,
      successes: this.#successes,
      failures: this.#failures,
      overloads: this.#overloads,
      retryAfterMs: this.#retryAfterMs,
    };
    this.#reset(0);
    this.#retryAfterMs = 0;
    return counts;
  }

  #reset(epoch: number): void {
    this.#epoch = epoch;
    this.#successes = 0;
    this.#failures = 0;
    this.#overloads = 0;
  }
}
