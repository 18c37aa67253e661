import { BreakwaterError, isBreakwaterError } from './breakwater-error.js';

/** The store holds no breaker of that name (never registered, or its keys expired). */
export class BreakerNotFoundError extends BreakwaterError {
  readonly breaker: string;

  constructor(breaker: string) {
    super('BREAKWATER_BREAKER_NOT_FOUND', `breaker "${breaker}" does not exist in the store`);
    this.breaker = breaker;
  }
}

export function isBreakerNotFoundError(err: unknown): err is BreakerNotFoundError {
  return isBreakwaterError(err) && err.code === 'BREAKWATER_BREAKER_NOT_FOUND';
}
