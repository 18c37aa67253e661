import type { BreakerState } from '../state/breaker-state.js';
import { BreakwaterError, isBreakwaterError } from './breakwater-error.js';

/** execute() refused to run the call: the breaker does not admit calls right now. */
export class BreakerOpenError extends BreakwaterError {
  readonly breaker: string;
  readonly state: BreakerState;

  constructor(breaker: string, state: BreakerState) {
    super('BREAKWATER_BREAKER_OPEN', `breaker "${breaker}" is ${state}: call not attempted`);
    this.breaker = breaker;
    this.state = state;
  }
}

export function isBreakerOpenError(err: unknown): err is BreakerOpenError {
  return isBreakwaterError(err) && err.code === 'BREAKWATER_BREAKER_OPEN';
}
