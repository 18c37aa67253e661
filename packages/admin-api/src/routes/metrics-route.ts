import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../schemas/error-schema.js';
import { BEARER_SECURITY, type RouteDeps } from './route-deps.js';

/** `GET /metrics`: the registry in Prometheus text format; who may read it is `metricsAccess`. */
export const metricsRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { registry, metricsAccess }) => {
  app.get(
    '/metrics',
    {
      config: { access: metricsAccess },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics',
        description: `Role: ${metricsAccess}.`,
        ...(metricsAccess === 'public' ? {} : { security: BEARER_SECURITY }),
        response: {
          200: {
            description: 'Prometheus text exposition format (version 0.0.4)',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...(metricsAccess === 'public'
            ? errorResponses(503)
            : metricsAccess === 'viewer'
              ? errorResponses(401, 503)
              : errorResponses(401, 403, 503)),
        },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};
