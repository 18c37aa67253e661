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
 * Limits mutations per token. Runs on `onRequest` after authentication (it
 * needs the token's name), before the body is parsed: a limited request costs
 * nothing and changes nothing. Reads are not limited.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, { limiter, metrics }: RateLimitPluginOptions) => {
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.mutation !== true || request.principal === null) return;
      const result = limiter.take(request.principal.name);
      if (result.allowed) return;
      metrics.rateLimited.inc();
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new AdminApiError(
        'RATE_LIMITED',
        `token "${request.principal.name}" made too many changes; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    });
  },
  { name: 'breakwater-admin-rate-limit', fastify: '5.x', dependencies: ['breakwater-admin-auth'] },
);
