import { BreakwaterError, isBreakwaterError } from './breakwater-error.js';

/** A pod-side operation on a breaker this store instance was never given a config for. */
export class NotRegisteredError extends BreakwaterError {
  readonly breaker: string;

  constructor(breaker: string) {
    super(
      'BREAKWATER_NOT_REGISTERED',
      `breaker "${breaker}" was not registered with this store: call store.register("${breaker}", config) first`,
    );
    this.breaker = breaker;
  }
}

export function isNotRegisteredError(err: unknown): err is NotRegisteredError {
  return isBreakwaterError(err) && err.code === 'BREAKWATER_NOT_REGISTERED';
}
