import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ROLES } from '../auth/role.js';
import { errorResponses } from '../schemas/error-schema.js';
import { NoQuerySchema } from '../schemas/request-schemas.js';
import { StringEnum } from '../schemas/string-enum.js';
import { BEARER_SECURITY, principalOf, type RouteDeps } from './route-deps.js';

export const WhoamiSchema = Type.Object(
  {
    name: Type.String({ description: 'The token name: the actor the audit records for this caller' }),
    role: StringEnum(ROLES, 'viewer reads; operator also mutates'),
  },
  { title: 'Principal' },
);

/**
 * `GET /v1/whoami` (viewer): who the bearer token is. The web page asks once
 * after sign-in, to check the token and to show an operator's controls only to
 * an operator (the routes enforce the role either way).
 */
export const whoamiRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app) => {
  app.get(
    '/v1/whoami',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: "The caller's token name and role",
        description: 'Role: viewer. The name is the actor audited for the caller’s actions.',
        security: BEARER_SECURITY,
        querystring: NoQuerySchema,
        response: { 200: WhoamiSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { name, role } = principalOf(request);
      return { name, role };
    },
  );
};
