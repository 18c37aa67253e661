import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AdminApiError } from '../errors/admin-api-error.js';
import { errorResponses } from '../schemas/error-schema.js';
import {
  BreakerParamsSchema,
  ClearQuerySchema,
  NoQuerySchema,
  OverrideBodySchema,
} from '../schemas/request-schemas.js';
import { SnapshotSchema } from '../schemas/snapshot-schema.js';
import { BEARER_SECURITY, principalOf, type RouteDeps } from './route-deps.js';

/** Reason recorded when `DELETE …/override` is called without one. */
export const DEFAULT_CLEAR_REASON = 'override cleared via admin API';

/**
 * `POST /v1/breakers/:name/force-open`, `…/force-close` and
 * `DELETE /v1/breakers/:name/override` (operator). The store applies, audits
 * (actor = token name) and publishes each on the breaker's channel, which is
 * how every pod learns of it.
 */
export const overrideRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { store, metrics, bodyLimitBytes } = deps;

  for (const mode of ['forced_open', 'forced_closed'] as const) {
    const path = mode === 'forced_open' ? 'force-open' : 'force-close';
    const action = mode === 'forced_open' ? 'force_open' : 'force_close';
    app.post(
      `/v1/breakers/:name/${path}`,
      {
        bodyLimit: bodyLimitBytes,
        config: { access: 'operator', mutation: true },
        schema: {
          tags: ['overrides'],
          summary:
            mode === 'forced_open'
              ? 'Force the breaker open on every pod until the TTL ends'
              : 'Force the breaker closed on every pod until the TTL ends',
          description: 'Role: operator. Audited with the token name as actor. Rate-limited per token.',
          security: BEARER_SECURITY,
          params: BreakerParamsSchema,
          querystring: NoQuerySchema,
          body: OverrideBodySchema,
          response: { 200: SnapshotSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
        },
      },
      async (request) => {
        const { name } = request.params;
        const { reason, ttlSeconds } = request.body;
        const actor = principalOf(request).name;
        const override = { reason, actor, ttlMs: ttlSeconds * 1000 };
        const snapshot =
          mode === 'forced_open' ? await store.forceOpen(name, override) : await store.forceClose(name, override);
        metrics.actions.inc({ action });
        request.log.info(
          { breaker: name, action, actor, generation: snapshot.generation, expiresAt: snapshot.override?.expiresAt },
          `breaker ${mode}`,
        );
        return snapshot;
      },
    );
  }

  app.delete(
    '/v1/breakers/:name/override',
    {
      config: { access: 'operator', mutation: true },
      // A body here would be parsed and ignored: a caller who sent { reason } would lose it silently.
      preValidation: async (request) => {
        if (hasBody(request)) {
          throw new AdminApiError(
            'INVALID_REQUEST',
            'DELETE /v1/breakers/:name/override takes no body; give the reason as ?reason=…',
          );
        }
      },
      schema: {
        tags: ['overrides'],
        summary: 'Clear the override: back to automatic',
        description:
          'Role: operator. Without an active override this changes nothing and writes no audit entry. ' +
          'The optional `reason` (query) is recorded in the audit. A request body is refused.',
        security: BEARER_SECURITY,
        params: BreakerParamsSchema,
        querystring: ClearQuerySchema,
        response: { 200: SnapshotSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const actor = principalOf(request).name;
      const snapshot = await store.clearOverride(name, { actor, reason: request.query.reason ?? DEFAULT_CLEAR_REASON });
      metrics.actions.inc({ action: 'clear_override' });
      request.log.info(
        { breaker: name, action: 'clear_override', actor, generation: snapshot.generation },
        'override cleared',
      );
      return snapshot;
    },
  );
};

/**
 * Whether a body was sent. Only a JSON body gets this far: any other content
 * type, or none, is refused by the parser with 415 before validation.
 */
function hasBody(request: FastifyRequest): boolean {
  return request.body !== undefined;
}
