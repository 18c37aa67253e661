import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/error-schema.js';
import { BreakerParamsSchema, NoQuerySchema, ResetBodySchema } from '../schemas/request-schemas.js';
import { SnapshotSchema } from '../schemas/snapshot-schema.js';
import { BEARER_SECURITY, principalOf, type RouteDeps } from './route-deps.js';

/** `POST /v1/breakers/:name/reset` (operator): automatic state to closed, window emptied; an override stays. */
export const resetRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, metrics, bodyLimitBytes }) => {
  app.post(
    '/v1/breakers/:name/reset',
    {
      bodyLimit: bodyLimitBytes,
      config: { access: 'operator', mutation: true },
      schema: {
        tags: ['overrides'],
        summary: 'Reset: automatic state to closed with an empty window (an active override stays)',
        description: 'Role: operator. Audited with the token name as actor. Rate-limited per token.',
        security: BEARER_SECURITY,
        params: BreakerParamsSchema,
        querystring: NoQuerySchema,
        body: ResetBodySchema,
        response: { 200: SnapshotSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const actor = principalOf(request).name;
      const snapshot = await store.reset(name, { actor, reason: request.body.reason });
      metrics.actions.inc({ action: 'reset' });
      request.log.info({ breaker: name, action: 'reset', actor, generation: snapshot.generation }, 'breaker reset');
      return snapshot;
    },
  );
};
