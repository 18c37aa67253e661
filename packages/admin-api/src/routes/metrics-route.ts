import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES } from '../schemas/error-schema.js';
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
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }), ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};
