import { StoreUnavailableError } from '../errors/store-unavailable-error.js';

/** Brand of {@link StoreTimeoutError}; a global symbol, so it survives two installed copies of the package. */
const TIMED_OUT = Symbol.for('breakwater.store-timeout');

/**
 * A shared-store call the pod stopped waiting for: it did not settle within
 * `commandTimeoutMs` (or earlier calls are still unanswered). A
 * StoreUnavailableError (code `BREAKWATER_STORE_UNAVAILABLE`) with its own
 * brand, so the runtime tells "slow" from "down" by type, never by message.
 * The call may still reach the store and take effect later.
 */
export class StoreTimeoutError extends StoreUnavailableError {
  readonly [TIMED_OUT] = true;
  readonly operation: string;
  readonly timeoutMs: number;

  constructor(operation: string, timeoutMs: number, detail = `no reply within ${timeoutMs} ms`) {
    super(`${operation}: ${detail} (commandTimeoutMs)`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

export function isStoreTimeoutError(err: unknown): err is StoreTimeoutError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[TIMED_OUT] === true;
}
