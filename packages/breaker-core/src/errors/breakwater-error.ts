/** Brand shared by every Breakwater error; survives two installed copies of the package. */
const BRAND = Symbol.for('breakwater.error');

/** Stable, documented error codes. Never change a code's meaning. */
export type BreakwaterErrorCode =
  | 'BREAKWATER_INVALID_ARGUMENT'
  | 'BREAKWATER_BREAKER_NOT_FOUND'
  | 'BREAKWATER_NOT_REGISTERED'
  | 'BREAKWATER_STORE_UNAVAILABLE'
  | 'BREAKWATER_BREAKER_OPEN';

/** Base of every error Breakwater throws: a stable `code`, the `cause` kept. */
export class BreakwaterError extends Error {
  readonly [BRAND] = true;
  readonly code: BreakwaterErrorCode;

  constructor(code: BreakwaterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export function isBreakwaterError(err: unknown): err is BreakwaterError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}
