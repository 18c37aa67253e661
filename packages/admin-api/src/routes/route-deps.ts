import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/token-registry.js';
import { AdminApiError } from '../errors/admin-api-error.js';
import type { AdminMetrics } from '../metrics.js';
import type { ResolvedAdminOptions } from '../options.js';

/**
 * What every route plugin receives. Not `prefix`: Fastify reads that key of
 * register() options itself and would prefix the routes a second time.
 */
export interface RouteDeps extends Omit<ResolvedAdminOptions, 'prefix'> {
  readonly metrics: AdminMetrics;
  /** The mount prefix, for links (e.g. the docs page's link to /openapi.json). */
  readonly basePath: string;
}

/** OpenAPI security requirement of routes that need a token. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];

/** The caller of an authenticated route (the audit actor is its name). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) {
    // Only reachable if a mutation route were declared public: a bug, not a client error.
    throw new AdminApiError('INTERNAL_ERROR', 'route requires a principal but none was authenticated');
  }
  return request.principal;
}
