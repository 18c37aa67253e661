import { ADMIN_ERROR_STATUS, type AdminErrorCode } from './error-codes.js';

const BRAND = Symbol.for('breakwater.admin-api.error');

/**
 * An error the admin API answers with as `{ statusCode, code, message }`. The
 * status comes from the code (see error-codes.ts), so the two never disagree.
 */
export class AdminApiError extends Error {
  readonly [BRAND] = true;
  readonly code: AdminErrorCode;
  readonly statusCode: number;
  /** Extra response headers, e.g. `retry-after` on RATE_LIMITED. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: AdminErrorCode,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AdminApiError';
    this.code = code;
    this.statusCode = ADMIN_ERROR_STATUS[code];
    this.headers = Object.freeze({ ...options.headers });
  }
}

export function isAdminApiError(err: unknown): err is AdminApiError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}
