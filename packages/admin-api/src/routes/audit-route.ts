import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditListSchema } from '../schemas/audit-schema.js';
import { errorResponses } from '../schemas/error-schema.js';
import { AuditQuerySchema, BreakerParamsSchema, DEFAULT_AUDIT_LIMIT } from '../schemas/request-schemas.js';
import { BEARER_SECURITY, type RouteDeps } from './route-deps.js';

/** `GET /v1/breakers/:name/audit?limit=` (viewer): transitions and manual actions, newest first. */
export const auditRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store }) => {
  app.get(
    '/v1/breakers/:name/audit',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['breakers'],
        summary: 'The audit log: who did what, and every automatic transition, newest first',
        description: 'Role: viewer.',
        security: BEARER_SECURITY,
        params: BreakerParamsSchema,
        querystring: AuditQuerySchema,
        response: { 200: AuditListSchema, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => ({
      entries: await store.audit(request.params.name, { limit: request.query.limit ?? DEFAULT_AUDIT_LIMIT }),
    }),
  );
};
