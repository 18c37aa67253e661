import { Type } from '@sinclair/typebox';
import { ADMIN_ERROR_CODES } from '../errors/error-codes.js';
import { StringEnum } from './string-enum.js';

/** Every error reply. */
export const ErrorSchema = Type.Object(
  {
    statusCode: Type.Integer(),
    code: StringEnum(ADMIN_ERROR_CODES, 'Stable error code'),
    message: Type.String(),
  },
  { title: 'Error' },
);

/** What each error status means, as the OpenAPI document says it. */
const ERROR_DESCRIPTIONS = {
  400: 'INVALID_REQUEST (schema violation, unknown field, bad name or query) or INVALID_JSON',
  401: 'AUTH_REQUIRED, AUTH_INVALID or AUTH_EXPIRED',
  403: 'FORBIDDEN: the token’s role may not use this route',
  404: 'BREAKER_NOT_FOUND',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE: send application/json',
  429: 'RATE_LIMITED (mutations) or TOO_MANY_STREAMS_FOR_TOKEN (event streams); wait Retry-After seconds',
  503: 'STORE_UNAVAILABLE (Redis did not answer), NOT_READY (/readyz), TOO_MANY_STREAMS (with Retry-After) or SHUTTING_DOWN',
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

const RETRY_AFTER = {
  'retry-after': { type: 'integer', minimum: 1, description: 'Seconds to wait before retrying' },
};

/**
 * The `response` schemas of the error statuses a route really answers with,
 * each `{ statusCode, code, message }` (429, and 503 for a stream limit, with
 * `Retry-After`), plus `default` for the rest (500 INTERNAL_ERROR, and the
 * standalone server's 408 / 431).
 */
export function errorResponses(...statuses: ErrorStatus[]) {
  const responses: Record<string, unknown> = {};
  for (const status of statuses) {
    responses[status] = {
      ...ErrorSchema,
      description: ERROR_DESCRIPTIONS[status],
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    };
  }
  responses.default = { ...ErrorSchema, description: 'Any other error: 500 INTERNAL_ERROR, or 408 / 431 from Node' };
  return responses as Record<`${ErrorStatus}` | 'default', typeof ErrorSchema>;
}
