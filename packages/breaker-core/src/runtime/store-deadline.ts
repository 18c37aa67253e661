import { StoreTimeoutError } from './store-timeout-error.js';

/**
 * Unanswered calls past their deadline after which new calls fail at once: a
 * store that stopped answering gets no more than this many calls from the pod
 * queued on it. The breaker's own Redis connection is dropped on a timeout,
 * which settles its calls; a caller's store settles them in its own time.
 */
export const MAX_LATE_CALLS = 4;

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
      const timer = setTimeout(() => {
        late = true;
        this.#late++;
        reject(new StoreTimeoutError(operation, this.timeoutMs));
      }, this.timeoutMs);
      timer.unref?.();
      const settle = (then: () => void) => {
        if (late) this.#late--;
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
