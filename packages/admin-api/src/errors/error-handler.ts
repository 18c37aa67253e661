import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AdminApiError } from './admin-api-error.js';
import { toHttpError } from './to-http-error.js';

/**
 * Replies `{ statusCode, code, message }` for anything a route, hook or parser
 * throws. A refusal (4xx) is logged by its code only: its message may echo
 * what the caller sent (a path, a name, a value), where a caller may have
 * pasted a secret; the caller has the message.
 */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { body, headers, logLevel } = toHttpError(err);
  const context = { code: body.code, statusCode: body.statusCode, route: request.routeOptions?.url ?? null };
  if (logLevel === 'error') request.log.error({ err, ...context }, 'request failed');
  else if (body.statusCode < 500) request.log.info(context, 'request refused');
  else request.log[logLevel](context, body.message);
  return reply.code(body.statusCode).headers(headers).type('application/json; charset=utf-8').send(body);
}

/**
 * Installs {@link handleError} as the error handler of the context it is
 * registered in (fastify-plugin: no new encapsulation level), so it covers the
 * admin routes whether they run standalone or mounted in another service.
 */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(handleError);
  },
  { name: 'breakwater-admin-error-handler', fastify: '5.x' },
);

/** For a standalone app: unknown routes get the same error shape. */
export function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return handleError(
    new AdminApiError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`),
    request,
    reply,
  );
}

/** Fastify's `frameworkErrors`: errors raised before routing, answered without repeating the URL. */
export function answerFrameworkError(
  err: { code?: string },
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const error =
    err.code === 'FST_ERR_BAD_URL'
      ? new AdminApiError('INVALID_REQUEST', 'the URL path is not valid percent-encoding')
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new AdminApiError('INVALID_REQUEST', 'a path segment is longer than this server reads')
        : new AdminApiError('INTERNAL_ERROR', 'internal error', { cause: err });
  return handleError(error, request, reply);
}

/**
 * An HTTP/1.1 request must carry `Host` (RFC 9112 §3.2). Node refuses one without it
 * with a bare 400 unless told not to; the standalone app turns that off and refuses it here.
 */
export async function requireHost(request: FastifyRequest): Promise<void> {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    throw new AdminApiError('INVALID_REQUEST', 'an HTTP/1.1 request needs a Host header', {
      headers: { connection: 'close' },
    });
  }
}
