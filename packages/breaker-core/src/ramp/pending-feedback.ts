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
 * One pod's feedback waiting for its next exchange: the outcomes of dials admitted since
 * the latest cut it knows of (tagged with the oldest of their epochs), of those the
 * successes at the newest epoch (growth evidence), and the longest `Retry-After` of any.
 * A report on a dial admitted before the latest cut a reply showed is dropped at once, and
 * a reply showing a newer cut drops what is pending from before it: the ramp would drop
 * them too (one cut per congestion episode). A newer epoch alone (an increase) drops
 * nothing but the growth evidence of older ones. Since an admission's epoch comes in a
 * reply that also shows the cut, a pod never holds counts from both sides of a cut, so the
 * oldest epoch decides for all of them exactly as per-report epochs would.
 * `add()` is on the session's path: it bumps numbers and allocates nothing.
 */
export class PendingFeedback {
  /** The oldest epoch among the counts (meaningful while there are counts). */
  #epoch = 0;
  #successes = 0;
  #failures = 0;
  #overloads = 0;
  /** The newest epoch among the successes, and the successes admitted at it. */
  #freshEpoch = 0;
  #freshSuccesses = 0;
  #retryAfterMs = 0;
  /** The newest epoch a reply showed: successes of older ones are no growth evidence. */
  #known = 0;
  /** The newest cut epoch a reply showed: reports of older epochs are stale already. */
  #knownCut = 0;

  get empty(): boolean {
    return this.#count === 0 && this.#retryAfterMs === 0;
  }

  get #count(): number {
    return this.#successes + this.#failures + this.#overloads;
  }

  /** Adds a report; false if it was stale (its counts dropped; a `Retry-After` still kept). */
  add(report: RampReport): boolean {
    if (report.retryAfterMs > this.#retryAfterMs) this.#retryAfterMs = report.retryAfterMs;
    if (report.epoch < this.#knownCut) return false;
    if (this.#count === 0 || report.epoch < this.#epoch) this.#epoch = report.epoch;
    if (report.outcome === 'success') {
      this.#successes++;
      if (report.epoch >= this.#known && report.epoch >= this.#freshEpoch) {
        if (report.epoch > this.#freshEpoch) {
          this.#freshEpoch = report.epoch;
          this.#freshSuccesses = 0;
        }
        this.#freshSuccesses++;
      }
    } else if (report.outcome === 'failure') this.#failures++;
    else this.#overloads++;
    return true;
  }

  /** A reply showed the ramp at `epoch`, its latest cut at `cutEpoch`: drops what they make stale. */
  know(epoch: number, cutEpoch: number): void {
    if (epoch > this.#known) this.#known = epoch;
    if (cutEpoch > this.#knownCut) this.#knownCut = cutEpoch;
    if (this.#count > 0 && this.#epoch < this.#knownCut) this.#resetCounts();
    if (this.#freshEpoch < this.#known) this.#resetFresh();
  }

  /** Takes everything pending (for one exchange) and starts empty. */
  take(): RampFeedbackCounts {
    if (this.empty) return NO_FEEDBACK;
    const counted = this.#count > 0;
    const counts = {
      epoch: counted ? this.#epoch : 0,
      successes: this.#successes,
      failures: this.#failures,
      overloads: this.#overloads,
      freshEpoch: this.#freshSuccesses > 0 ? this.#freshEpoch : 0,
      freshSuccesses: this.#freshSuccesses,
      retryAfterMs: this.#retryAfterMs,
    };
    this.#resetCounts();
    this.#retryAfterMs = 0;
    return counts;
  }

  #resetCounts(): void {
    this.#epoch = 0;
    this.#successes = 0;
    this.#failures = 0;
    this.#overloads = 0;
    this.#resetFresh();
  }

  #resetFresh(): void {
    this.#freshEpoch = 0;
    this.#freshSuccesses = 0;
  }
}
