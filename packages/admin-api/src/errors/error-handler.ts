import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AdminApiError } from './admin-api-error.js';
import { toHttpError } from './to-http-error.js';

/** Replies `{ statusCode, code, message }` for anything a route, hook or parser throws. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { body, headers, logLevel } = toHttpError(err);
  if (logLevel === 'error') request.log.error({ err, code: body.code }, 'request failed');
  else request.log[logLevel]({ code: body.code, statusCode: body.statusCode }, body.message);
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
