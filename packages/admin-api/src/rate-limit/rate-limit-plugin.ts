import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import '../auth/route-access.js';
import { AdminApiError } from '../errors/admin-api-error.js';
import type { AdminMetrics } from '../metrics.js';
import type { TokenBucket } from './token-bucket.js';

export interface RateLimitPluginOptions {
  readonly limiter: TokenBucket;
  readonly metrics: AdminMetrics;
}

/**
 * Limits mutations per token, counting only requests the API could carry
 * out, so a run of typos does not lock an SRE out mid-incident:
 *
 * - the token is taken on `preHandler`, after authentication, parsing and
 *   validation: a request refused by those (400, 401, 403, 413, 415) takes none;
 * - a request refused by the store (404 unknown breaker, 400 bad input) gets
 *   its token back before the reply is sent. A 5xx keeps it taken: the change
 *   may have happened, and a retry loop against a sick Redis should slow down.
 *
 * Reads are not limited.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, { limiter, metrics }: RateLimitPluginOptions) => {
    app.decorateRequest('rateLimitTaken', false);
    app.addHook('preHandler', async (request) => {
      if (request.routeOptions.config?.mutation !== true || request.principal === null) return;
      const result = limiter.take(request.principal.name);
      if (result.allowed) {
        request.rateLimitTaken = true;
        return;
      }
      metrics.rateLimited.inc();
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new AdminApiError(
        'RATE_LIMITED',
        `token "${request.principal.name}" made too many changes; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    });
    app.addHook('onSend', async (request, reply) => {
      if (!request.rateLimitTaken || request.principal === null) return;
      if (reply.statusCode >= 400 && reply.statusCode < 500 && reply.statusCode !== 429) {
        request.rateLimitTaken = false;
        limiter.refund(request.principal.name);
      }
    });
  },
  { name: 'breakwater-admin-rate-limit', fastify: '5.x', dependencies: ['breakwater-admin-auth'] },
);
