import type { ProbeLease } from '@breakwater/breaker-core';
import type { SessionBreaker } from '../breaker/session-breaker.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';

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
 * - lost sooner, for any reason (even a clean close): one failure;
 * - never opened, or closed before the session could take it: one failure;
 * - abandoned (the session is closing, or closed the connection itself on an
 *   internal error): nothing — pusher did nothing wrong, and an unreported lease
 *   simply expires, letting another pod probe.
 *
 * Under the half-open lease the verdict goes to `reportProbe()` (and to nothing
 * else); otherwise to `recordSuccess()` / `recordFailure()`.
 *
 * After a success, the connection is in use as any other: an abnormal loss of it
 * is a failure of its own (`recordFailure()`, lease or not); a clean close is
 * nothing. Once abandoned, nothing more is recorded.
 */
export class DialVerdict {
  readonly #breaker: SessionBreaker;
  readonly #clock: Scheduler;
  readonly #confirmMs: number;
  readonly #lease: ProbeLease | null;
  /** `confirmed`: the success was given and the connection is still in use. */
  #state: 'dialing' | 'confirming' | 'confirmed' | 'settled' = 'dialing';
  #timer: TimerHandle | undefined;

  constructor(breaker: SessionBreaker, clock: Scheduler, confirmMs: number, lease: ProbeLease | null) {
    this.#breaker = breaker;
    this.#clock = clock;
    this.#confirmMs = confirmMs;
    this.#lease = lease;
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
   * The connection in use was lost; `abnormal`: anything but a clean close. Within
   * the confirm window that loss is the dial's verdict, one failure, whatever the
   * close; after a success, an abnormal loss is recorded as a failure of its own.
   * Returns true when the loss was the dial's failed verdict.
   */
  lost(abnormal: boolean): boolean {
    if (this.#state === 'confirmed') {
      this.#state = 'settled';
      if (abnormal) this.#record('failure');
      return false;
    }
    if (this.#state === 'settled') return false;
    this.#settle('failure');
    return true;
  }

  /** The session is closing, or closed the connection itself: nothing (more) is reported. */
  abandon(): void {
    if (this.#state === 'confirmed') this.#state = 'settled';
    else this.#settle('abandoned');
  }

  /** `abandoned`: told nothing. */
  #settle(verdict: 'success' | 'failure' | 'abandoned'): void {
    if (this.#state === 'settled' || this.#state === 'confirmed') return;
    this.#state = verdict === 'success' ? 'confirmed' : 'settled';
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (verdict === 'abandoned') return;
    const lease = this.#lease;
    if (lease) {
      // reportProbe() never rejects by contract; one that does anyway must not reach
      // the process (this may run from a timer).
      void Promise.resolve()
        .then(() => this.#breaker.reportProbe(lease, verdict))
        .catch(() => false);
    } else {
      this.#record(verdict);
    }
  }

  #record(verdict: 'success' | 'failure'): void {
    try {
      if (verdict === 'success') this.#breaker.recordSuccess();
      else this.#breaker.recordFailure();
    } catch {
      // record*() do no I/O and do not throw by contract; this may run from a timer,
      // where a throw would reach the process.
    }
  }
}
