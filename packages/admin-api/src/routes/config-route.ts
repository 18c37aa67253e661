import { configHash, resolveBreakerConfig } from '@breakwater/breaker-core/internal';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/error-schema.js';
import { BreakerParamsSchema, ConfigBodySchema, NoQuerySchema } from '../schemas/request-schemas.js';
import { SnapshotSchema } from '../schemas/snapshot-schema.js';
import { BEARER_SECURITY, principalOf, type RouteDeps } from './route-deps.js';

/**
 * `PUT /v1/breakers/:name/config` (operator): changes the stored rules every
 * pod follows. The body's `config` fields replace the stored ones, the others
 * stay; the merged config is checked whole (breaker-core's rules) before
 * anything is written, then stored, audited (actor, reason, the rules before
 * and after) and published by the store's `updateConfig`, which is how every
 * pod learns of it. A config equal to the stored one writes nothing.
 */
export const configRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, metrics, bodyLimitBytes }) => {
  app.put(
    '/v1/breakers/:name/config',
    {
      bodyLimit: bodyLimitBytes,
      config: { access: 'operator', mutation: true },
      schema: {
        tags: ['config'],
        summary: 'Change the breaker’s rules for every pod (the fields given; the rest stay)',
        description:
          'Role: operator. Audited with the token name as actor and the rules before and after. Rate-limited per ' +
          'token. The merged config must satisfy every rule (windowMs a multiple of bucketMs with at most 600 ' +
          'buckets, maxCooldownMs ≥ cooldownMs) or nothing is changed (400). A config equal to the stored one ' +
          'changes nothing and writes no audit entry.',
        security: BEARER_SECURITY,
        params: BreakerParamsSchema,
        querystring: NoQuerySchema,
        body: ConfigBodySchema,
        response: { 200: SnapshotSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { reason, config: patch } = request.body;
      const actor = principalOf(request).name;
      const current = await store.snapshot(name);
      // Throws InvalidArgumentError naming the field (400) before anything is written.
      const next = resolveBreakerConfig({ ...current.config, ...patch }, 'config');
      if (configHash(next) === current.configHash) return current;
      const snapshot = await store.updateConfig(name, next, { actor, reason });
      metrics.actions.inc({ action: 'config_update' });
      request.log.info(
        {
          breaker: name,
          action: 'config_update',
          actor,
          generation: snapshot.generation,
          configHash: snapshot.configHash,
        },
        'breaker config updated',
      );
      return snapshot;
    },
  );
};
