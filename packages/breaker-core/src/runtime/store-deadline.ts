import { StoreTimeoutError } from './store-timeout-error.js';

/**
 * Unanswered calls past their deadline after which new calls fail at once: a
 * store that stopped answering gets no more than this many calls from the pod
 * queued on it. The breaker's own Redis connection is dropped once a late call
 * on it looks lost ({@link StoreDeadline.overdueMs}, see FailoverStore), which
 * settles its calls; a caller's store settles them in its own time.
 */
export const MAX_LATE_CALLS = 4;

/**
 * A late call still unsettled this many deadlines after it was sent is taken as
 * dropped by the store and no longer counted: a store that loses promises must
 * not keep the pod off the shared state for good.
 */
export const LATE_CALL_FORGOTTEN_AFTER = 20;

/**
 * How late the deadline's own timer may fire, as a share of the deadline, before
 * the pod takes it that its own event loop was held: then the store is given
 * that much more time (see {@link StoreDeadline}).
 */
export const HELD_LOOP_SHARE = 0.2;

/**
 * The pod's one deadline on shared-store calls (rate-limiter-flexible's
 * timeout wrapper): a call that has not settled within `timeoutMs` rejects
 * with StoreTimeoutError, whatever the store does underneath (cluster
 * redirects and retries, ioredis's EVALSHA → EVAL retry after NOSCRIPT, a
 * caller's store that sets no timeout at all). A late reply, success or not,
 * is dropped: the pod has already moved on to its local breaker.
 *
 * The deadline is on the store, not on the pod's own event loop. A loop held by
 * synchronous work runs its due timers before it polls its sockets again, so
 * the timer can fire while the reply sits unread in the socket: when it fires,
 * the timeout is declared one loop turn later (an immediate runs after the
 * poll phase), and a reply read in that poll is in time. And a timer that fires
 * more than {@link HELD_LOOP_SHARE} of the deadline late measures how long the
 * loop was held, time in which the pod could neither read a reply nor send a
 * call's next step (EVAL after NOSCRIPT, a redirect): the store gets that much
 * more time, once, at most one more deadline. So a call is timed out after
 * `timeoutMs` plus one loop turn when the pod's loop runs on time, and never
 * later than `2 × timeoutMs` plus the time the loop was held.
 */
export class StoreDeadline {
  readonly timeoutMs: number;
  readonly #now: () => number;
  #late = 0;
  /** When each late, unsettled call's deadline passed (`#now`), for {@link overdueMs}. */
  readonly #lateSince = new Set<{ readonly at: number }>();

  /** `now`: a monotonic clock in ms (the loop's lateness is measured on it). */
  constructor(timeoutMs: number, now: () => number = () => performance.now()) {
    this.timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** Calls past their deadline that the store has not settled yet. */
  get late(): number {
    return this.#late;
  }

  /**
   * How long past its deadline the oldest late call still unsettled is, ms; 0 when
   * none is. A slow store answers its late calls; a lost connection never does.
   */
  get overdueMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const { at } of this.#lateSince) oldest = Math.min(oldest, at);
    return oldest === Number.POSITIVE_INFINITY ? 0 : this.#now() - oldest;
  }

  run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (this.#late >= MAX_LATE_CALLS) {
      return Promise.reject(
        new StoreTimeoutError(operation, this.timeoutMs, `not sent: ${this.#late} earlier calls are still unanswered`),
      );
    }
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = this.timeoutMs;
    let dueAt = this.#now() + timeoutMs;
    return new Promise<T>((resolve, reject) => {
      /** Settled in time, or timed out: whatever comes next changes nothing but the late count. */
      let decided = false;
      let counted: { readonly at: number } | undefined;
      let extended = false;
      let forget: ReturnType<typeof setTimeout> | undefined;
      let turn: ReturnType<typeof setImmediate> | undefined;
      const uncount = () => {
        if (!counted) return;
        this.#lateSince.delete(counted);
        counted = undefined;
        this.#late--;
        clearTimeout(forget);
      };
      const expire = () => {
        turn = undefined;
        if (decided) return;
        decided = true;
        counted = { at: dueAt };
        this.#lateSince.add(counted);
        this.#late++;
        forget = setTimeout(uncount, timeoutMs * (LATE_CALL_FORGOTTEN_AFTER - 1));
        forget.unref?.();
        reject(new StoreTimeoutError(operation, timeoutMs));
      };
      const due = () => {
        const heldMs = this.#now() - dueAt;
        if (!extended && heldMs > timeoutMs * HELD_LOOP_SHARE) {
          // The pod's own loop was held past the deadline: give the store the time it lost, once.
          extended = true;
          const extra = Math.min(heldMs, timeoutMs);
          dueAt = this.#now() + extra;
          timer = setTimeout(due, extra);
          timer.unref?.();
          return;
        }
        // Let the loop read its sockets first (an immediate runs after the poll phase).
        turn = setImmediate(expire);
      };
      let timer = setTimeout(due, timeoutMs);
      timer.unref?.();
      const settle = (then: () => void) => {
        if (decided) {
          uncount();
          return;
        }
        decided = true;
        clearTimeout(timer);
        if (turn) clearImmediate(turn);
        then();
      };
      pending.then(
        (value) => settle(() => resolve(value)),
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }
}
