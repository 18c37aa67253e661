/**
 * Every `code` the admin API answers with, and its HTTP status. Codes are
 * stable: clients and the CLI branch on them, so never change one's meaning.
 */
export const ADMIN_ERROR_STATUS = Object.freeze({
  /** Schema violation (wrong type, out of range, unknown field), bad name, bad query. */
  INVALID_REQUEST: 400,
  /** The body is not JSON (or is empty while declared JSON). */
  INVALID_JSON: 400,
  /** No `Authorization: Bearer <token>` header, or a malformed one. */
  AUTH_REQUIRED: 401,
  /** The bearer token matches no configured token. */
  AUTH_INVALID: 401,
  /** The token matched but is past its `expiresAt`. */
  AUTH_EXPIRED: 401,
  /** The token's role may not use this route (a viewer tried a mutation). */
  FORBIDDEN: 403,
  /** The store holds no breaker of that name. */
  BREAKER_NOT_FOUND: 404,
  /** No such route. */
  ROUTE_NOT_FOUND: 404,
  /** The request did not arrive completely within the server's request timeout (standalone server). */
  REQUEST_TIMEOUT: 408,
  /** The body is larger than the limit (RFC 9110 §15.5.14). */
  BODY_TOO_LARGE: 413,
  /** The body is not `application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many mutations by this token; see `Retry-After`. */
  RATE_LIMITED: 429,
  /** This token already holds as many event streams as one token may (`events.maxStreamsPerToken`); see `Retry-After`. */
  TOO_MANY_STREAMS_FOR_TOKEN: 429,
  /** The request headers are larger than Node's limit (RFC 6585 §5; standalone server). */
  HEADERS_TOO_LARGE: 431,
  /** Unexpected failure; details are in the server log, never in the reply. */
  INTERNAL_ERROR: 500,
  /** The store (Redis) did not answer. Nothing was changed, or the change is unknown: read the state again. */
  STORE_UNAVAILABLE: 503,
  /** `/readyz`: the store is not reachable. */
  NOT_READY: 503,
  /** The server is shutting down: requests in flight finish, new ones get this. Retry after the restart. */
  SHUTTING_DOWN: 503,
  /** The server already holds as many event streams as it serves at once (`events.maxStreams`); see `Retry-After`. */
  TOO_MANY_STREAMS: 503,
});

export type AdminErrorCode = keyof typeof ADMIN_ERROR_STATUS;

export const ADMIN_ERROR_CODES = Object.keys(ADMIN_ERROR_STATUS) as AdminErrorCode[];
