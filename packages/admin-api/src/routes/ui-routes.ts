import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminApiError } from '../errors/admin-api-error.js';
import type { RouteDeps } from './route-deps.js';

/** The page's files: src/ui beside src/routes, and dist/ui beside dist/routes (the build copies them). */
export const UI_DIR = new URL('../ui/', import.meta.url);

/**
 * Everything the page loads comes from this server; nothing inline (no `<script>`
 * body, no `style=`), no plugins, no `<base>`, no framing, and no form submission
 * anywhere (the page's forms are handled by script, so the token can never be
 * submitted into a URL).
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Headers on every UI response. */
export const UI_HEADERS = Object.freeze({
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Revalidate every time (the ETag makes that a 304): a new deploy's page is never mixed with old modules.
  'cache-control': 'no-cache',
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Names the page is made of; anything else in the folder (types, tests) is not served. */
const SERVED_NAME = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** Reads the page's files once, at start: a request never touches the file system. */
export async function loadUiAssets(dir: URL = UI_DIR): Promise<ReadonlyMap<string, UiAsset>> {
  const assets = new Map<string, UiAsset>();
  for (const name of (await readdir(dir)).sort()) {
    const ext = SERVED_NAME.exec(name)?.[1];
    if (ext === undefined) continue;
    const body = await readFile(new URL(name, dir));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType: CONTENT_TYPES[`.${ext}`] as string, etag });
  }
  if (!assets.has('index.html')) throw new Error(`admin-api: the web page's files are missing from ${dir.pathname}`);
  return assets;
}

const FileParamsSchema = Type.Object({ file: Type.String({ maxLength: 64 }) }, { additionalProperties: false });

/**
 * `GET /ui` (the page) and `GET /ui/:file` (its modules, stylesheet, icon): public,
 * since they hold no data; the page asks for a token and sends it in the
 * Authorization header of each API call.
 */
export const uiRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app) => {
  const assets = await loadUiAssets();
  const send = (request: FastifyRequest, reply: FastifyReply, asset: UiAsset) => {
    reply.headers(UI_HEADERS).header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.contentType).send(asset.body);
  };
  const index = assets.get('index.html') as UiAsset;

  app.get('/ui', { schema: { hide: true } }, async (request, reply) => send(request, reply, index));

  // The page's asset paths are relative to `<prefix>/ui`; at `<prefix>/ui/` they would miss.
  app.get('/ui/', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(UI_HEADERS).redirect('../ui', 308),
  );

  app.get('/ui/:file', { schema: { hide: true, params: FileParamsSchema } }, async (request, reply) => {
    const asset = assets.get(request.params.file);
    if (asset === undefined) throw new AdminApiError('ROUTE_NOT_FOUND', 'no such file in the web page');
    return send(request, reply, asset);
  });
};
