/**
 * @breakwater/admin-api — the HTTP API and CLI SREs use mid-incident: live
 * breaker state, force-open / force-close with a reason and an expiry, clear,
 * reset, audit.
 */

export { ADMIN_SERVER_LIMITS, buildAdminApp } from './app.js';
export {
  type AdminToken,
  type AdminTokenConfig,
  MAX_TOKEN_LENGTH,
  MIN_TOKEN_LENGTH,
  resolveAdminTokens,
  TOKEN_NAME_PATTERN,
} from './auth/admin-token.js';
export { ROLES, type Role, roleAllows } from './auth/role.js';
export type { RouteAccess } from './auth/route-access.js';
export { type AuthOutcome, type Principal, TokenRegistry } from './auth/token-registry.js';
export { AdminClient, type AdminClientOptions, DEFAULT_CLIENT_TIMEOUT_MS } from './cli/admin-client.js';
export { AdminRequestAbortedError, AdminRequestError, AdminUnreachableError } from './cli/admin-client-errors.js';
export { EXIT_CODES, type ExitCode } from './cli/exit-codes.js';
export { type CliIo, runCli } from './cli/run-cli.js';
export { AdminApiError, isAdminApiError } from './errors/admin-api-error.js';
export { ADMIN_ERROR_CODES, ADMIN_ERROR_STATUS, type AdminErrorCode } from './errors/error-codes.js';
export { type HttpErrorBody, toHttpError } from './errors/to-http-error.js';
export { ADMIN_LOG_SERIALIZERS, type LoggedRequest, serializeRequest } from './log-serializers.js';
export { ADMIN_METRIC_NAMES, AdminMetrics } from './metrics.js';
export {
  type AdminApiOptions,
  type AdminAppOptions,
  DEFAULT_ADMIN_OPTIONS,
  type RateLimitOptions,
} from './options.js';
export { adminApiPlugin } from './plugin.js';
export { type Readiness, redisReadiness } from './readiness.js';
export { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './schemas/request-schemas.js';
export { ADMIN_REDIS_OPTIONS, type RunningAdminServer, runAdminServer, startAdminServer } from './server.js';
export { type AdminServerConfig, DEFAULT_SERVER_CONFIG, loadServerConfig } from './server-config.js';
export { VERSION } from './version.js';
