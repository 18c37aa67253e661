import swagger from '@fastify/swagger';
import type { FastifyInstance, RegisterOptions } from 'fastify';
import fp from 'fastify-plugin';
import { authPlugin } from './auth/auth-plugin.js';
import { TokenRegistry } from './auth/token-registry.js';
import { closingPlugin } from './closing-plugin.js';
import { errorHandlerPlugin, notFound } from './errors/error-handler.js';
import { ADMIN_LOG_SERIALIZERS } from './log-serializers.js';
import { AdminMetrics } from './metrics.js';
import { metricsPlugin } from './metrics-plugin.js';
import { type AdminApiOptions, type ResolvedAdminOptions, resolveAdminOptions } from './options.js';
import { rateLimitPlugin } from './rate-limit/rate-limit-plugin.js';
import { TokenBucket } from './rate-limit/token-bucket.js';
import { auditRoute } from './routes/audit-route.js';
import { breakerRoutes } from './routes/breaker-routes.js';
import { configRoute } from './routes/config-route.js';
import { eventsRoute } from './routes/events-route.js';
import { healthRoutes } from './routes/health-routes.js';
import { metricsRoute } from './routes/metrics-route.js';
import { openapiRoutes } from './routes/openapi-routes.js';
import { overrideRoutes } from './routes/override-routes.js';
import { resetRoute } from './routes/reset-route.js';
import type { RouteDeps } from './routes/route-deps.js';
import { uiRoutes } from './routes/ui-routes.js';
import { whoamiRoute } from './routes/whoami-route.js';
import { strictValidatorCompiler } from './schemas/validator-compiler.js';
import { VERSION } from './version.js';

/**
 * The admin API as a Fastify plugin, to mount in an existing service:
 *
 * ```ts
 * await service.register(adminApiPlugin, { store, tokens, prefix: '/admin' });
 * ```
 *
 * Everything it configures (error handler, strict validation, JSON-only
 * bodies, auth and rate-limit hooks, OpenAPI) lives in its own encapsulated
 * context under `prefix` and does not leak into the host service.
 */
export const adminApiPlugin = fp<AdminApiOptions>(
  async (host, options) => {
    const resolved = resolveAdminOptions(options);
    await host.register(async (app) => adminContext(app, resolved), {
      prefix: resolved.prefix,
      // Fastify types register()'s serializers as returning strings; pino's (and these) return objects.
      logSerializers: ADMIN_LOG_SERIALIZERS as unknown as RegisterOptions['logSerializers'],
    });
  },
  { name: '@breakwater/admin-api', fastify: '5.x' },
);

async function adminContext(app: FastifyInstance, options: ResolvedAdminOptions): Promise<void> {
  const metrics = new AdminMetrics(options.registry);
  app.setValidatorCompiler(strictValidatorCompiler());
  // Only JSON bodies: anything else is 415 before it reaches a schema.
  app.removeContentTypeParser('text/plain');
  await app.register(errorHandlerPlugin);
  // Unknown paths under the prefix are the admin API's: same error shape, with a code. Without a
  // prefix the unknown paths are the host's (buildAdminApp sets the same handler on its root).
  if (options.prefix !== '') app.setNotFoundHandler(notFound);
  await app.register(metricsPlugin, { metrics });
  await app.register(closingPlugin);
  await app.register(authPlugin, { tokens: new TokenRegistry(options.tokens, options.clock), metrics });
  await app.register(rateLimitPlugin, {
    limiter: new TokenBucket({ ...options.rateLimit, maxKeys: options.tokens.length, clock: options.clock }),
    metrics,
  });
  // A host that already runs @fastify/swagger documents these routes in its own document.
  if (!app.hasDecorator('swagger')) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Breakwater admin API',
          version: VERSION,
          description:
            'Live breaker state, force-open / force-close with a reason and an expiry, clear, reset, audit. ' +
            'Send `Authorization: Bearer <token>`; every error is `{ statusCode, code, message }`.',
        },
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      },
    });
  }
  const { prefix, ...rest } = options;
  const deps: RouteDeps = { ...rest, metrics, basePath: prefix };
  for (const routes of [
    breakerRoutes,
    overrideRoutes,
    resetRoute,
    configRoute,
    auditRoute,
    eventsRoute,
    whoamiRoute,
    healthRoutes,
    metricsRoute,
    openapiRoutes,
    uiRoutes,
  ]) {
    await app.register(routes, deps);
  }
}
