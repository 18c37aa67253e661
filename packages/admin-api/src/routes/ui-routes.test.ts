import { readdir, readFile } from 'node:fs/promises';
import { MemoryBreakerStore } from '@breakwater/breaker-core';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { adminApiPlugin } from '../plugin.js';
import { type AdminFixture, adminFixture, TOKEN_CONFIG } from '../test-support/admin-fixture.js';
import { UI_CONTENT_SECURITY_POLICY, UI_DIR, UI_HEADERS } from './ui-routes.js';

const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'; form-action 'none'";

/** The page's JavaScript files, by name. */
async function pageScripts(): Promise<Map<string, string>> {
  const names = (await readdir(UI_DIR)).filter((n) => n.endsWith('.js'));
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(new URL(n, UI_DIR), 'utf8')] as const)));
}

describe('the web page routes', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  it('serve the page at /ui without a token, under a strict CSP', async () => {
    f = await adminFixture();
    const res = await f.app.inject({ url: '/ui' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(UI_CONTENT_SECURITY_POLICY).toBe(STRICT_CSP);
    expect(res.headers).toMatchObject(UI_HEADERS);
    expect(res.body).toContain('<script type="module" src="ui/app.js"></script>');
  });

  it('hold no inline script, style or event handler, and load only files the route serves', async () => {
    f = await adminFixture();
    const html = (await f.app.inject({ url: '/ui' })).body;
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    // Every script has a src and an empty body.
    for (const [, tag, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      expect(tag).toMatch(/\ssrc="ui\/[a-z-]+\.js"/);
      expect(body).toBe('');
    }
    const referenced = [...html.matchAll(/\s(?:src|href)="(ui\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(referenced.sort()).toEqual(['ui/app.css', 'ui/app.js', 'ui/icon.svg']);
    const types = { 'ui/app.css': 'text/css; charset=utf-8', 'ui/app.js': 'text/javascript; charset=utf-8' };
    for (const path of referenced) {
      const asset = await f.app.inject({ url: `/${path}` });
      expect(asset.statusCode, path).toBe(200);
      expect(asset.headers['content-security-policy']).toBe(STRICT_CSP);
      if (path in types) expect(asset.headers['content-type']).toBe(types[path as keyof typeof types]);
    }
  });

  it('serve every module the page imports, and nothing else in the folder', async () => {
    f = await adminFixture();
    const scripts = await pageScripts();
    const seen = new Set<string>();
    const visit = async (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const res = await f.app.inject({ url: `/ui/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      for (const [, target] of res.body.matchAll(/^import [^'"]*['"]\.\/([a-z-]+\.js)['"];$/gm)) {
        await visit(target as string);
      }
    };
    await visit('app.js');
    // Every module is reachable from app.js (no dead files served).
    expect([...seen].sort()).toEqual([...scripts.keys()].sort());
    for (const hidden of ['types.d.ts', 'sse.test.ts', 'format.test.ts', '..%2Fplugin.ts', '.hidden.js']) {
      const res = await f.app.inject({ url: `/ui/${hidden}` });
      expect(res.statusCode, hidden).toBe(404);
      expect(res.json().code).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('never hand API text to an HTML parser: no innerHTML, document.write or eval in the page', async () => {
    for (const [name, source] of await pageScripts()) {
      expect(source, name).not.toMatch(
        /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function|createContextualFragment|srcdoc/,
      );
    }
  });

  it('redirect /ui/ to /ui (the page links its files relative to /ui) and answer 304 to a known ETag', async () => {
    f = await adminFixture();
    const slash = await f.app.inject({ url: '/ui/' });
    expect(slash.statusCode).toBe(308);
    expect(slash.headers.location).toBe('../ui');
    const first = await f.app.inject({ url: '/ui/app.css' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{22}"$/);
    const again = await f.app.inject({ url: '/ui/app.css', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serve the page under the prefix of a mounting service, where its relative URLs point', async () => {
    const host = Fastify();
    try {
      await host.register(adminApiPlugin, { store: new MemoryBreakerStore(), tokens: TOKEN_CONFIG, prefix: '/admin' });
      const page = await host.inject({ url: '/admin/ui' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toBe(STRICT_CSP);
      // From /admin/ui, `ui/app.js` is /admin/ui/app.js, and the page's API root (`../` of it) is /admin/.
      expect(new URL('ui/app.js', 'http://h/admin/ui').pathname).toBe('/admin/ui/app.js');
      expect((await host.inject({ url: '/admin/ui/app.js' })).statusCode).toBe(200);
      expect((await host.inject({ url: '/ui' })).statusCode).toBe(404);
    } finally {
      await host.close();
    }
  });
});
