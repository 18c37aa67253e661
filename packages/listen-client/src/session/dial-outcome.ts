import type { ProbeLease } from '@breakwater/breaker-core';
import type { SessionBreaker } from '../breaker/session-breaker.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';

/** How a dial's outcome was settled: told to the breaker, or (session closing) told nothing. */
export type DialVerdict = 'success' | 'failure' | 'abandoned';

/**
 * What the cluster breaker hears about one dial: exactly one verdict.
 *
 * A completed handshake proves little. A pusher that accepts and then closes with
 * 1011 would count as a success (closing a half-open breaker fleet-wide, every
 * cooldown) and then as a failure. So a dial whose connection opened is a success
 * only once that connection has stayed open `confirmMs` (`probeConfirmMs`) on the
 * session's scheduler; lost sooner, for any reason, it is one failure. A dial that
 * never opened is one failure. Under the half-open lease the verdict goes to
 * `reportProbe()`; otherwise to `recordSuccess()` / `recordFailure()`.
 *
 * Abandoned (the session is closing) it reports nothing: pusher did nothing wrong,
 * and an unreported lease simply expires, letting another pod probe.
 */
export class DialOutcome {
  readonly #breaker: SessionBreaker;
  readonly #clock: Scheduler;
  readonly #confirmMs: number;
  readonly #lease: ProbeLease | null;
  readonly #done: (verdict: DialVerdict) => void;
  #state: 'dialing' | 'confirming' | 'settled' = 'dialing';
  #timer: TimerHandle | undefined;

  /** `done` runs once, after the verdict was delivered (for a lease: after `reportProbe()` settled). */
  constructor(
    breaker: SessionBreaker,
    clock: Scheduler,
    confirmMs: number,
    lease: ProbeLease | null,
    done: (verdict: DialVerdict) => void = () => {},
  ) {
    this.#breaker = breaker;
    this.#clock = clock;
    this.#confirmMs = confirmMs;
    this.#lease = lease;
    this.#done = done;
  }

  /** True until the verdict is in. */
  get pending(): boolean {
    return this.#state !== 'settled';
  }

  /** The dial failed, or its connection closed before the session could take it. */
  failed(): void {
    this.#settle('failure');
  }

  /** The session took the connection: the verdict is success once it has lasted `confirmMs`. */
  opened(): void {
    if (this.#state !== 'dialing') return;
    if (this.#confirmMs === 0) {
      this.#settle('success');
      return;
    }
    this.#state = 'confirming';
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#settle('success');
    }, this.#confirmMs);
  }

  /**
   * The connection was lost. Returns true when that loss is this dial's verdict (a
   * failure, within the confirm window), so the caller does not record it again.
   */
  lost(): boolean {
    if (this.#state === 'settled') return false;
    this.#settle('failure');
    return true;
  }

  /** The session is closing: no verdict is reported. */
  abandon(): void {
    this.#settle('abandoned');
  }

  #settle(verdict: DialVerdict): void {
    if (this.#state === 'settled') return;
    this.#state = 'settled';
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const lease = this.#lease;
    if (verdict === 'abandoned') {
      this.#done(verdict);
    } else if (lease) {
      // reportProbe() never rejects by contract; a breaker that breaks it still ends the probe.
      void Promise.resolve()
        .then(() => this.#breaker.reportProbe(lease, verdict))
        .catch(() => false)
        .finally(() => this.#done(verdict));
    } else {
      try {
        if (verdict === 'success') this.#breaker.recordSuccess();
        else this.#breaker.recordFailure();
      } catch {
        // record*() do no I/O and do not throw by contract; this may run from a timer,
        // where a throw would reach the process.
      }
      this.#done(verdict);
    }
  }
}
