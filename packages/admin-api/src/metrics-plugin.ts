import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminMetrics } from './metrics.js';

/** Counts and times every response of the context it is registered in. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, { metrics }: { metrics: AdminMetrics }) => {
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, never the raw URL: label values stay bounded.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.requests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
      metrics.requestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
  },
  { name: 'breakwater-admin-metrics', fastify: '5.x' },
);
