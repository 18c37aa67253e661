import { isBreakerNotFoundError } from '../errors/breaker-not-found-error.js';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { isNotRegisteredError } from '../errors/not-registered-error.js';
import { isStoreUnavailableError } from '../errors/store-unavailable-error.js';
import { isStoreTimeoutError } from './store-timeout-error.js';

/**
 * What a failed shared-store call means to the pod, decided by the error's type
 * (Breakwater brands, ioredis's error class names), never by its message:
 *
 * - `timeout`: the pod stopped waiting (StoreTimeoutError): fall back, and drop
 *   the breaker's own connection so nothing queues behind a stalled Redis;
 * - `unavailable`: the store could not be reached (a StoreUnavailableError
 *   whose cause is a client-side failure: refused, closed, not writeable);
 * - `not_registered` / `not_found`: the store does not know the breaker (yet,
 *   or any more): register it again;
 * - `bug`: the store refused the arguments (InvalidArgumentError): never a
 *   reason to fall back;
 * - `other`: anything else, e.g. Redis answering with an error (OOM, BUSY,
 *   READONLY, a script error) or a caller's store throwing its own errors.
 */
export type StoreErrorKind = 'timeout' | 'unavailable' | 'not_registered' | 'not_found' | 'bug' | 'other';

export function storeErrorKind(err: unknown): StoreErrorKind {
  if (isStoreTimeoutError(err)) return 'timeout';
  if (isInvalidArgumentError(err)) return 'bug';
  if (isNotRegisteredError(err)) return 'not_registered';
  if (isBreakerNotFoundError(err)) return 'not_found';
  if (isStoreUnavailableError(err)) return isRedisReply(err.cause) ? 'other' : 'unavailable';
  return 'other';
}

/** The `kind` label of `breakwater_breaker_store_errors_total`. */
export function storeErrorLabel(kind: StoreErrorKind): 'timeout' | 'unavailable' | 'other' {
  return kind === 'timeout' || kind === 'unavailable' ? kind : 'other';
}

/** An error reply from Redis (ioredis's ReplyError and its subclasses share the name). */
function isRedisReply(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}
