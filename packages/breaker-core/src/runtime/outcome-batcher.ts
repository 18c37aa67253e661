import type { Clock } from '../clock.js';
import type { BreakerConfig } from '../config/breaker-config.js';
import { couldTripAlone } from './could-trip-alone.js';

/**
 * Counts one pod's outcomes and sends them as one store call per flush
 * interval, so Redis load grows with pods, not with sessions.
 *
 * recordSuccess()/recordFailure() are on the caller's hot path: they bump a
 * counter and never do I/O or allocate. The first outcome after an idle
 * interval arms the batch's one flush timer (an idle pod arms none); while
 * outcomes keep coming the next flush is armed off the hot path, one interval
 * after the previous one *started*. When the pending outcomes alone could trip
 * the breaker (couldTripAlone) one microtask asks for an early flush; `#urgent`
 * stays set until a flush takes the outcomes, so that is at most one microtask
 * per interval, not one per call or per event-loop turn. Every flush is gated
 * on the pod's clock: no two are ever less than an interval apart.
 */
export class OutcomeBatcher {
  #failures = 0;
  #successes = 0;
  /** A flush is scheduled or in flight: outcomes need not arm one. */
  #armed = false;
  /** An early flush is on its way (microtask or timer): no more scheduling until it has run. */
  #urgent = false;
  /** The trip rule the pending outcomes are checked against; null unless the automatic state is closed. */
  #tripRules: BreakerConfig | null;
  #timer: NodeJS.Timeout | undefined;
  /** Pod clock when the latest non-empty flush started. */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  /** drain() has begun: nothing new is scheduled; what is counted meanwhile goes in the last flush. */
  #draining = false;
  /** drain() has sent the last flush: outcomes are no longer counted. */
  #stopped = false;

  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #send: (failures: number, successes: number) => Promise<void>;

  /** `send` records one batch and never rejects (the failover handles errors). */
  constructor(
    intervalMs: number,
    clock: Clock,
    send: (failures: number, successes: number) => Promise<void>,
    tripRules: BreakerConfig | null,
  ) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#send = send;
    this.#tripRules = tripRules;
  }

  /** The stored config while the automatic state is closed (a trip is possible), else null. */
  set tripRules(rules: BreakerConfig | null) {
    this.#tripRules = rules;
  }

  get pending(): { failures: number; successes: number } {
    return { failures: this.#failures, successes: this.#successes };
  }

  // ── hot path ──

  recordSuccess(): void {
    if (this.#stopped) return;
    this.#successes++;
    if (!this.#armed) this.#arm();
    // A success can bring the pending calls up to the failure-rate rule's minimum.
    const rules = this.#tripRules;
    if (rules?.failureRate && !this.#urgent && couldTripAlone(this.#failures, this.#successes, rules)) {
      this.#flushSoon();
    }
  }

  recordFailure(): void {
    if (this.#stopped) return;
    this.#failures++;
    if (!this.#armed) this.#arm();
    const rules = this.#tripRules;
    if (rules !== null && !this.#urgent && couldTripAlone(this.#failures, this.#successes, rules)) {
      this.#flushSoon();
    }
  }

  // ── lifecycle ──

  /**
   * For close(): stops scheduling, lets a flush in flight finish (it carries
   * only what was counted before it started), then sends the rest. Each is
   * one store call, bounded by the command timeout.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
    clearTimeout(this.#timer);
    await this.#flush();
    this.#stopped = true;
  }

  // ── scheduling ──

  /** The first outcome after the pod was idle: flush one interval from now, so the batch gathers. */
  #arm(): void {
    if (this.#draining) return;
    this.#armed = true;
    this.#setTimer(this.#intervalMs);
  }

  #setTimer(ms: number): void {
    clearTimeout(this.#timer);
    const timer = setTimeout(this.#tick, ms);
    timer.unref?.();
    this.#timer = timer;
  }

  /** Milliseconds until a record call may be sent: real flushes stay one interval apart on the pod's clock. */
  #untilNextSend(): number {
    return this.#lastSentAt + this.#intervalMs - this.#clock();
  }

  readonly #tick = (): void => {
    clearTimeout(this.#timer); // an early flush replaces the timer the batch armed
    this.#timer = undefined;
    if (this.#draining || this.#inFlight) return;
    const wait = this.#untilNextSend();
    if (wait > 0) {
      // Too early on the pod's clock (an injected clock, or a timer firing a little early).
      this.#setTimer(wait);
      return;
    }
    void this.#flush().finally(this.#afterFlush);
  };

  /** While outcomes keep coming, the next flush is one interval after this one started, not after it ended. */
  readonly #afterFlush = (): void => {
    this.#armed = false;
    if (this.#draining || this.#failures + this.#successes === 0) return;
    this.#armed = true;
    this.#setTimer(Math.max(0, this.#untilNextSend()));
  };

  /** The pending outcomes alone could trip the breaker: send them as soon as the interval rule allows. */
  #flushSoon(): void {
    this.#urgent = true;
    queueMicrotask(this.#urgentTick); // off the caller's stack
  }

  readonly #urgentTick = (): void => {
    // In flight: #afterFlush re-arms for lastSentAt + interval, which is as soon as allowed.
    if (this.#draining || this.#inFlight) return;
    const wait = this.#untilNextSend();
    this.#armed = true;
    if (wait > 0) this.#setTimer(wait);
    else this.#tick();
  };

  /** Sends what is counted as one call (nothing if nothing is); settles when it has been applied. */
  #flush(): Promise<void> {
    if (this.#inFlight || this.#stopped) return this.#inFlight ?? Promise.resolve();
    const failures = this.#failures;
    const successes = this.#successes;
    this.#failures = 0;
    this.#successes = 0;
    this.#urgent = false;
    if (failures === 0 && successes === 0) return Promise.resolve();
    this.#lastSentAt = this.#clock();
    const sending = this.#send(failures, successes).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = sending;
    return sending;
  }
}
