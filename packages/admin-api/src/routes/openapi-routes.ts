import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { renderDocsPage } from './docs-page.js';
import type { RouteDeps } from './route-deps.js';

/** `GET /openapi.json` and `GET /docs`: the OpenAPI document of the routes, and a page listing them. */
export const openapiRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { basePath }) => {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    reply.type('text/html; charset=utf-8');
    return renderDocsPage(app.swagger() as Parameters<typeof renderDocsPage>[0], `${basePath}/openapi.json`);
  });
};
