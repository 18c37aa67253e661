import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AdminApiError } from '../errors/admin-api-error.js';
import type { AdminMetrics } from '../metrics.js';
import { roleAllows } from './role.js';
import './route-access.js';
import type { TokenRegistry } from './token-registry.js';

export interface AuthPluginOptions {
  readonly tokens: TokenRegistry;
  readonly metrics: AdminMetrics;
}

/**
 * Authenticates on `onRequest`, before the body is read or validated, so a
 * caller without a valid token learns nothing about the routes' schemas and
 * costs no parsing. Sets `request.principal`; the token itself is never
 * stored on the request or logged.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, { tokens, metrics }: AuthPluginOptions) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const access = request.routeOptions.config?.access ?? 'public';
      if (access === 'public') return;
      const outcome = tokens.authenticate(request.headers.authorization);
      if (!outcome.ok) {
        metrics.authFailures.inc({ reason: outcome.code });
        throw new AdminApiError(outcome.code, outcome.message);
      }
      const { principal } = outcome;
      if (!roleAllows(principal.role, access)) {
        metrics.authFailures.inc({ reason: 'FORBIDDEN' });
        throw new AdminApiError(
          'FORBIDDEN',
          `token "${principal.name}" has role ${principal.role}; ${request.method} ${request.routeOptions.url} needs ${access}`,
        );
      }
      request.principal = principal;
    });
  },
  { name: 'breakwater-admin-auth', fastify: '5.x' },
);
