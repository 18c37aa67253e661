import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AdminApiError } from '../errors/admin-api-error.js';
import { errorResponses } from '../schemas/error-schema.js';
import type { RouteDeps } from './route-deps.js';

const StatusSchema = Type.Object({ status: Type.String() });

/**
 * `/healthz` (liveness) never looks at Redis: a Redis outage must not get
 * the admin API restarted, which is exactly when SREs need it. `/readyz`
 * (readiness) answers 503 while the store does not answer.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { readiness, readinessTimeoutMs }) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers',
        response: { 200: StatusSchema, ...errorResponses(503) },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: 200 when the store (Redis) answers, 503 otherwise',
        response: { 200: StatusSchema, ...errorResponses(503) },
      },
    },
    async () => {
      if (readiness === undefined) return { status: 'ready' };
      try {
        await withTimeout(readiness.ping(), readinessTimeoutMs);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new AdminApiError('NOT_READY', `the store did not answer: ${why}`, { cause: err });
      }
      return { status: 'ready' };
    },
  );
};

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
