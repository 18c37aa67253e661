import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_METRIC_NAMES } from './metrics.js';
import {
  type AdminFixture,
  AS_OPERATOR,
  AS_VIEWER,
  adminFixture,
  bearer,
  SECRETS,
} from './test-support/admin-fixture.js';

describe('buildAdminApp', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  it('documents every route in /openapi.json and lists them on /docs, without a token', async () => {
    f = await adminFixture();
    const doc = (await f.app.inject({ url: '/openapi.json' })).json();
    const operations = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'DELETE /v1/breakers/{name}/override',
        'GET /healthz',
        'GET /metrics',
        'GET /readyz',
        'GET /v1/breakers',
        'GET /v1/breakers/{name}',
        'GET /v1/breakers/{name}/audit',
        'GET /v1/events',
        'GET /v1/whoami',
        'POST /v1/breakers/{name}/force-close',
        'POST /v1/breakers/{name}/force-open',
        'POST /v1/breakers/{name}/reset',
        'PUT /v1/breakers/{name}/config',
      ].sort(),
    );
    const forceOpen = doc.paths['/v1/breakers/{name}/force-open'].post;
    expect(forceOpen.security).toEqual([{ bearerAuth: [] }]);
    expect(forceOpen.requestBody.content['application/json'].schema).toMatchObject({
      additionalProperties: false,
      required: ['reason', 'ttlSeconds'],
      properties: { ttlSeconds: { minimum: 10, maximum: 86_400 } },
    });

    const docs = await f.app.inject({ url: '/docs' });
    expect(docs.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(docs.body).toContain('<code>/v1/breakers/{name}/force-open</code>');
    expect(docs.body).toContain('href="/openapi.json"');
  });

  it('serves metrics to viewers by default, counting requests, actions and refusals', async () => {
    f = await adminFixture({ rateLimit: { burst: 1, perMinute: 1 } });
    const open = {
      method: 'POST' as const,
      url: '/v1/breakers/pusher/force-open',
      payload: { reason: 'x', ttlSeconds: 60 },
    };
    await f.app.inject({ ...open, headers: AS_OPERATOR });
    await f.app.inject({ ...open, headers: AS_OPERATOR }); // 429
    await f.app.inject({ ...open, headers: bearer('not-a-configured-token') }); // 401
    await f.app.inject({ ...open, headers: AS_VIEWER }); // 403

    expect((await f.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const res = await f.app.inject({ url: '/metrics', headers: AS_VIEWER });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of Object.values(ADMIN_METRIC_NAMES)) expect(res.body).toContain(name);
    expect(res.body).toContain(
      `${ADMIN_METRIC_NAMES.requests}{method="POST",route="/v1/breakers/:name/force-open",status_code="429"} 1`,
    );
    expect(res.body).toContain(`${ADMIN_METRIC_NAMES.actions}{action="force_open"} 1`);
    expect(res.body).toContain(`${ADMIN_METRIC_NAMES.authFailures}{reason="AUTH_INVALID"} 1`);
    expect(res.body).toContain(`${ADMIN_METRIC_NAMES.authFailures}{reason="FORBIDDEN"} 1`);
    expect(res.body).toContain(`${ADMIN_METRIC_NAMES.rateLimited} 1`);
  });

  it('serves metrics publicly when configured, on the registry it is given', async () => {
    const registry = new Registry();
    f = await adminFixture({ metricsAccess: 'public', registry });
    await f.app.inject({ url: '/healthz' });
    const res = await f.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(await registry.metrics()).toContain('route="/healthz"');
  });

  it('never writes a token to the log, valid or not', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    f = await adminFixture({ logger });
    const wrong = 'a-wrong-token-that-nobody-has';
    await f.app.inject({
      method: 'POST',
      url: '/v1/breakers/pusher/force-open',
      headers: AS_OPERATOR,
      payload: { reason: 'logged reason', ttlSeconds: 60 },
    });
    await f.app.inject({ url: '/v1/breakers', headers: bearer(wrong) });
    await f.app.inject({ url: '/v1/breakers', headers: bearer(SECRETS.expired) });
    await f.app.inject({
      method: 'POST',
      url: '/v1/breakers/pusher/reset',
      headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
      payload: '{',
    });

    const log = lines.join('');
    // The log is not empty: requests, the audit line with its actor, the refusals.
    expect(log).toContain('"actor":"olga"');
    expect(log).toContain('"code":"AUTH_INVALID"');
    expect(log).toContain('"code":"INVALID_JSON"');
    for (const secret of [SECRETS.operator, SECRETS.expired, wrong]) expect(log).not.toContain(secret);
  });

  it('logs a request by method and route pattern, never its URL (a token pasted into it stays out)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    f = await adminFixture({ logger });
    await f.app.inject({ url: `/v1/breakers/pusher?access_token=${SECRETS.operator}`, headers: AS_VIEWER });
    await f.app.inject({ url: `/v1/breakers/${SECRETS.operator2}`, headers: AS_VIEWER });
    await f.app.inject({ url: `/v1/${SECRETS.expired}/x?token=${SECRETS.viewer}`, headers: AS_VIEWER });

    const entries = lines.map((line) => JSON.parse(line) as { msg: string; req?: unknown; code?: string });
    expect(entries.filter((e) => e.msg === 'incoming request').map((e) => e.req)).toEqual([
      { method: 'GET', route: '/v1/breakers/:name', remoteAddress: '127.0.0.1' },
      { method: 'GET', route: '/v1/breakers/:name', remoteAddress: '127.0.0.1' },
      { method: 'GET', route: null, remoteAddress: '127.0.0.1' },
    ]);
    expect(entries.filter((e) => e.msg === 'request refused').map((e) => e.code)).toEqual([
      'INVALID_REQUEST',
      'BREAKER_NOT_FOUND',
      'ROUTE_NOT_FOUND',
    ]);
    for (const secret of Object.values(SECRETS)) expect(lines.join('')).not.toContain(secret);
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND in the same error shape', async () => {
    f = await adminFixture();
    const res = await f.app.inject({ method: 'PUT', url: '/v1/breakers/pusher/force-open' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
      message: 'no route PUT /v1/breakers/pusher/force-open',
    });
  });
});
