import { MemoryBreakerStore } from '@breakwater/breaker-core';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminApiPlugin } from './plugin.js';
import { AS_OPERATOR, AS_VIEWER, SECRETS, TOKEN_CONFIG } from './test-support/admin-fixture.js';

describe('adminApiPlugin mounted in another service', () => {
  let host: FastifyInstance;
  beforeEach(() => {
    host = Fastify();
  });
  afterEach(() => host.close());

  it('serves the admin routes under its prefix and leaves the host alone', async () => {
    const store = new MemoryBreakerStore();
    await store.register('pusher');
    host.setErrorHandler((err, _request, reply) =>
      reply.code(418).send({ host: true, message: (err as Error).message }),
    );
    host.post('/echo', async (request) => ({ got: request.body }));
    host.get('/boom', async () => {
      throw new Error('host error');
    });
    await host.register(adminApiPlugin, { store, tokens: TOKEN_CONFIG, prefix: '/admin' });

    const snapshot = await host.inject({ url: '/admin/v1/breakers/pusher', headers: AS_VIEWER });
    expect(snapshot.statusCode).toBe(200);
    expect(snapshot.json().name).toBe('pusher');
    const open = await host.inject({
      method: 'POST',
      url: '/admin/v1/breakers/pusher/force-open',
      headers: AS_OPERATOR,
      payload: { reason: 'mounted', ttlSeconds: 60 },
    });
    expect(open.json().state).toBe('forced_open');
    expect((await host.inject({ url: '/admin/v1/breakers' })).json().code).toBe('AUTH_REQUIRED');
    const doc = (await host.inject({ url: '/admin/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toContain('/admin/v1/breakers/{name}/force-open');
    expect((await host.inject({ url: '/admin/docs' })).body).toContain('href="/admin/openapi.json"');

    // The host keeps its text/plain parser, its lax validation and its error handler.
    const echo = await host.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(echo.json()).toEqual({ got: 'hi' });
    expect((await host.inject({ url: '/boom' })).json()).toEqual({ host: true, message: 'host error' });
  });

  it('answers unknown routes under its prefix with 404 ROUTE_NOT_FOUND, and leaves the rest to the host', async () => {
    const store = new MemoryBreakerStore();
    await store.register('pusher');
    await host.register(adminApiPlugin, { store, tokens: TOKEN_CONFIG, prefix: '/admin' });

    for (const [method, url] of [
      ['GET', '/admin/v1/nope'],
      ['PUT', '/admin/v1/breakers/pusher/force-open'],
      ['GET', '/admin'],
    ] as const) {
      const res = await host.inject({ method, url: `${url}?q=1`, headers: AS_VIEWER });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ statusCode: 404, code: 'ROUTE_NOT_FOUND', message: `no route ${method} ${url}` });
    }
    // Outside the prefix, the host's own (here: Fastify's default) 404.
    const outside = await host.inject({ url: '/elsewhere' });
    expect(outside.statusCode).toBe(404);
    expect(outside.json().code).toBeUndefined();
  });

  it("keeps a token pasted into the URL of its routes out of the host's request log", async () => {
    const lines: string[] = [];
    const logged = Fastify({ loggerInstance: pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) }) });
    try {
      const store = new MemoryBreakerStore();
      await store.register('pusher');
      await logged.register(adminApiPlugin, { store, tokens: TOKEN_CONFIG, prefix: '/admin' });
      const res = await logged.inject({ url: `/admin/v1/breakers/pusher?access_token=${SECRETS.operator}` });
      expect(res.json().code).toBe('AUTH_REQUIRED');
      const incoming = lines.map((l) => JSON.parse(l)).filter((e) => e.msg === 'incoming request');
      expect(incoming.map((e) => e.req)).toEqual([
        { method: 'GET', route: '/admin/v1/breakers/:name', remoteAddress: '127.0.0.1' },
      ]);
      expect(lines.join('')).not.toContain(SECRETS.operator);
    } finally {
      await logged.close();
    }
  });
});
