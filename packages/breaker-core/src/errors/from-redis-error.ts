import { BreakerNotFoundError } from './breaker-not-found-error.js';
import { isBreakwaterError } from './breakwater-error.js';
import { InvalidArgumentError } from './invalid-argument-error.js';
import { StoreUnavailableError } from './store-unavailable-error.js';

/**
 * The one place where script error codes (see lua/includes/args.lua) and
 * client failures become typed errors.
 */
export function fromRedisError(err: unknown, breaker: string, operation: string): Error {
  if (isBreakwaterError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = /^(?:ERR\s+)?(BW_[A-Z_]+)\s+(.*)$/s.exec(message);
  switch (code?.[1]) {
    case 'BW_NOT_FOUND':
      return new BreakerNotFoundError(breaker);
    case 'BW_BAD_INPUT':
      return new InvalidArgumentError(operation, (code[2] ?? '').replace(/ script: .*$/s, ''));
    case 'BW_BAD_CONFIG':
      return new StoreUnavailableError(`${operation} on breaker "${breaker}": ${code[2]}`, { cause: err });
    default:
      return new StoreUnavailableError(`${operation} on breaker "${breaker}" failed: ${message}`, { cause: err });
  }
}
