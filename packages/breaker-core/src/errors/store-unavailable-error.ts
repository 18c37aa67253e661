import { BreakwaterError, isBreakwaterError } from './breakwater-error.js';

/** The store could not answer (Redis down, slow, or replying with something unexpected). */
export class StoreUnavailableError extends BreakwaterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BREAKWATER_STORE_UNAVAILABLE', message, options);
  }
}

export function isStoreUnavailableError(err: unknown): err is StoreUnavailableError {
  return isBreakwaterError(err) && err.code === 'BREAKWATER_STORE_UNAVAILABLE';
}
