import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { answerClientError } from './errors/client-error.js';
import { handleError, notFound } from './errors/error-handler.js';
import { ADMIN_LOG_SERIALIZERS } from './log-serializers.js';
import { type AdminAppOptions, resolveAdminOptions } from './options.js';
import { adminApiPlugin } from './plugin.js';

/** Server-level bounds of the standalone app (a mounted plugin inherits its host's). */
export const ADMIN_SERVER_LIMITS = Object.freeze({
  /** A request must complete within this, ms. */
  requestTimeoutMs: 30_000,
  /** An idle socket is closed after this, ms. */
  connectionTimeoutMs: 60_000,
  /** Longest path parameter read; longer ones are a 404. Names are at most 64. */
  maxParamLength: 200,
});

/**
 * The admin API as a standalone Fastify instance, not yet listening: tests
 * call `app.inject()`, server.ts calls `app.listen()`. Options are checked
 * here, synchronously; routes load on `ready()` / `listen()` / `inject()`.
 */
export function buildAdminApp(options: AdminAppOptions): FastifyInstance {
  const { logger, ...api } = options;
  const resolved = resolveAdminOptions(api);
  const app = Fastify({
    // The serializer keeps the URL (and any token pasted into it) out of the request log.
    loggerInstance: (logger ?? pino({ level: 'silent' })).child({}, { serializers: ADMIN_LOG_SERIALIZERS }),
    bodyLimit: resolved.bodyLimitBytes,
    requestTimeout: ADMIN_SERVER_LIMITS.requestTimeoutMs,
    connectionTimeout: ADMIN_SERVER_LIMITS.connectionTimeoutMs,
    routerOptions: { maxParamLength: ADMIN_SERVER_LIMITS.maxParamLength },
    // Requests arriving while the app closes get 503 SHUTTING_DOWN from closingPlugin, with a code;
    // Fastify's own 503 has none. Likewise requests Node cannot parse get answerClientError's body.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
  });
  // Errors outside the admin context (unknown routes, bad URLs) get the same shape.
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFound);
  app.register(adminApiPlugin, api);
  return app;
}
