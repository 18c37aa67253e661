import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AdminApiError } from './errors/admin-api-error.js';

/**
 * While the server closes, requests in flight finish, and one that still
 * arrives (pipelined, or on a kept-alive connection) is answered `503
 * SHUTTING_DOWN` in the API's error shape. Fastify's own `return503OnClosing`
 * writes a body without a `code`, so buildAdminApp turns that off; a host
 * that mounts the plugin and keeps it on answers with its own body.
 *
 * Registered before authentication: the answer is the same for everyone.
 */
export const closingPlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async () => {
      if (closing) throw new AdminApiError('SHUTTING_DOWN', 'the admin API is shutting down; retry shortly');
    });
  },
  { name: 'breakwater-admin-closing', fastify: '5.x' },
);
