/**
 * @breakwater/admin-api — the HTTP API SREs use mid-incident: live breaker
 * state, force-open / force-close with a reason and an expiry, clear, reset,
 * audit.
 *
 * Two ways to serve it: embed it (`buildAdminApp` returns a Fastify instance to
 * `listen()` or `inject()`; `adminApiPlugin` mounts the routes in a Fastify
 * service of yours), or start the standalone server (`startAdminServer`, which
 * is what the `breakwater-admin` bin runs, with `loadServerConfig(env)`). The
 * HTTP client the `breakwater` CLI speaks is `@breakwater/admin-api/client`.
 * `src/public-api.test.ts` pins this list.
 */

export { buildAdminApp } from './app.js';
export type { AdminTokenConfig } from './auth/admin-token.js';
export type { Role } from './auth/role.js';
export type { RouteAccess } from './auth/route-access.js';
export { ADMIN_LOG_SERIALIZERS } from './log-serializers.js';
export {
  type AdminApiOptions,
  type AdminAppOptions,
  DEFAULT_ADMIN_OPTIONS,
  type EventStreamOptions,
  type RateLimitOptions,
} from './options.js';
export { adminApiPlugin } from './plugin.js';
export { type Readiness, redisReadiness } from './readiness.js';
export { ADMIN_REDIS_OPTIONS, type RunningAdminServer, startAdminServer } from './server.js';
export {
  type AdminRedisTarget,
  type AdminServerConfig,
  DEFAULT_SERVER_CONFIG,
  loadServerConfig,
} from './server-config.js';
export { VERSION } from './version.js';
