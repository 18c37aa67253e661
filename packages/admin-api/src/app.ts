import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { answerClientError } from './errors/client-error.js';
import { answerFrameworkError, handleError, notFound, requireHost } from './errors/error-handler.js';
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
    // Node would answer a request without Host itself (a bare 400, no body); the hook below does, in the API's shape.
    http: { requireHostHeader: false },
    // A path Fastify cannot route (bad percent-encoding, an over-long parameter) gets the API's shape,
    // without Fastify's echo of the raw URL (which may hold a token in its query string).
    frameworkErrors: answerFrameworkError,
  });
  app.addHook('onRequest', requireHost);
  // Errors outside the admin context (unknown routes, bad URLs) get the same shape.
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(notFound);
  app.register(adminApiPlugin, api);
  closeUnusedConnectionsOnClose(app);
  return app;
}

/**
 * On close, Node ends idle keep-alive connections but waits for one that has
 * not sent a request yet (until `connectionTimeoutMs`); some clients open one
 * when they abort another (undici does, on an aborted stream), which would hold
 * a graceful shutdown for a minute. Such a connection carries nothing: end it.
 */
function closeUnusedConnectionsOnClose(app: FastifyInstance): void {
  const unused = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage) => unused.delete(request.socket));
  app.addHook('preClose', async () => {
    for (const socket of unused) socket.destroy();
  });
}
