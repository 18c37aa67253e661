import { type BreakerSnapshot, isBreakerNotFoundError } from '@breakwater/breaker-core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/error-schema.js';
import { BreakerParamsSchema, NoQuerySchema } from '../schemas/request-schemas.js';
import { BreakerListSchema, SnapshotSchema } from '../schemas/snapshot-schema.js';
import { BEARER_SECURITY, type RouteDeps } from './route-deps.js';

/** Snapshots read at once while listing: bounds the load one request puts on Redis. */
export const LIST_CONCURRENCY = 16;

/** `GET /v1/breakers` and `GET /v1/breakers/:name` (viewer). */
export const breakerRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { store, maxListedBreakers }) => {
  app.get(
    '/v1/breakers',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['breakers'],
        summary: 'List every breaker with its live state',
        description: 'Role: viewer. Sorted by name; at most the configured number of breakers.',
        security: BEARER_SECURITY,
        querystring: NoQuerySchema,
        response: { 200: BreakerListSchema, ...errorResponses(400, 401, 503) },
      },
    },
    async () => {
      const names = await store.list();
      const listed = names.slice(0, maxListedBreakers);
      const snapshots = await mapBounded(listed, LIST_CONCURRENCY, async (name) => {
        try {
          return await store.snapshot(name);
        } catch (err) {
          if (isBreakerNotFoundError(err)) return undefined; // its keys expired between list() and now
          throw err;
        }
      });
      return {
        breakers: snapshots.filter((s): s is BreakerSnapshot => s !== undefined),
        truncated: names.length > listed.length,
      };
    },
  );

  app.get(
    '/v1/breakers/:name',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['breakers'],
        summary: 'One breaker: state, generation, window, cooldown, probe lease, override, config',
        description: 'Role: viewer.',
        security: BEARER_SECURITY,
        params: BreakerParamsSchema,
        querystring: NoQuerySchema,
        response: { 200: SnapshotSchema, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => store.snapshot(request.params.name),
  );
};

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
