import { StoreTimeoutError } from './store-timeout-error.js';

/**
 * Unanswered calls past their deadline after which new calls fail at once: a
 * store that stopped answering gets no more than this many calls from the pod
 * queued on it. The breaker's own Redis connection is dropped on a timeout,
 * which settles its calls; a caller's store settles them in its own time.
 */
export const MAX_LATE_CALLS = 4;

/**
 * A late call still unsettled this many deadlines after it was sent is taken as
 * dropped by the store and no longer counted: a store that loses promises must
 * not keep the pod off the shared state for good.
 */
export const LATE_CALL_FORGOTTEN_AFTER = 20;

/**
 * The pod's one deadline on shared-store calls (rate-limiter-flexible's
 * timeout wrapper): a call that has not settled within `timeoutMs` rejects
 * with StoreTimeoutError, whatever the store does underneath (cluster
 * redirects and retries, ioredis's EVALSHA → EVAL retry after NOSCRIPT, a
 * caller's store that sets no timeout at all). A late reply, success or not,
 * is dropped: the pod has already moved on to its local breaker.
 */
export class StoreDeadline {
  readonly timeoutMs: number;
  #late = 0;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Calls past their deadline that the store has not settled yet. */
  get late(): number {
    return this.#late;
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
    return new Promise<T>((resolve, reject) => {
      let late = false;
      let counted = false;
      let forget: ReturnType<typeof setTimeout> | undefined;
      const uncount = () => {
        if (!counted) return;
        counted = false;
        this.#late--;
        clearTimeout(forget);
      };
      const timer = setTimeout(() => {
        late = true;
        counted = true;
        this.#late++;
        forget = setTimeout(uncount, this.timeoutMs * (LATE_CALL_FORGOTTEN_AFTER - 1));
        forget.unref?.();
        reject(new StoreTimeoutError(operation, this.timeoutMs));
      }, this.timeoutMs);
      timer.unref?.();
      const settle = (then: () => void) => {
        if (late) uncount();
        else {
          clearTimeout(timer);
          then();
        }
      };
      pending.then(
        (value) => settle(() => resolve(value)),
        (err: unknown) => settle(() => reject(err)),
      );
    });
  }
}
