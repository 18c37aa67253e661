import { BreakwaterError, isBreakwaterError } from './breakwater-error.js';

/**
 * Bad input: an option, a name, a delta, a TTL. Thrown before anything is
 * written. `argument` names the offending field; the message says what was
 * received and what is allowed.
 */
export class InvalidArgumentError extends BreakwaterError {
  readonly argument: string;

  constructor(argument: string, message: string) {
    super('BREAKWATER_INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}

export function isInvalidArgumentError(err: unknown): err is InvalidArgumentError {
  return isBreakwaterError(err) && err.code === 'BREAKWATER_INVALID_ARGUMENT';
}
