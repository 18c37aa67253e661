import { afterEach, describe, expect, it } from 'vitest';
import {
  type AdminFixture,
  AS_OPERATOR,
  AS_VIEWER,
  adminFixture,
  bearer,
  SECRETS,
  T0,
} from '../test-support/admin-fixture.js';
import { DEFAULT_CLEAR_REASON } from './override-routes.js';

describe('override and reset routes', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  const post = (url: string, payload: unknown, headers = AS_OPERATOR) =>
    f.app.inject({ method: 'POST', url, headers, payload: payload as object });

  it('force-open overrides on every call path, for ttlSeconds, with the token name as actor', async () => {
    f = await adminFixture();
    const res = await post('/v1/breakers/pusher/force-open', { reason: 'pusher 5xx, INC-42', ttlSeconds: 900 });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(await f.store.snapshot('pusher'));
    expect(res.json()).toMatchObject({
      state: 'forced_open',
      automaticState: 'closed',
      generation: 1,
      override: {
        mode: 'forced_open',
        reason: 'pusher 5xx, INC-42',
        actor: 'olga',
        setAt: T0,
        expiresAt: T0 + 900_000,
      },
    });
    expect(await f.store.audit('pusher')).toEqual([
      expect.objectContaining({
        action: 'force_open',
        actor: 'olga',
        from: 'closed',
        to: 'forced_open',
        generation: 1,
      }),
    ]);
  });

  it('force-close works the same way', async () => {
    f = await adminFixture();
    await f.store.record('pusher', 'pod-1', { failures: 30, successes: 0 });
    const res = await post(
      '/v1/breakers/pusher/force-close',
      { reason: 'false alarm', ttlSeconds: 10 },
      bearer(SECRETS.operator2),
    );
    expect(res.json()).toMatchObject({
      state: 'forced_closed',
      automaticState: 'open',
      override: { actor: 'oscar', expiresAt: T0 + 10_000 },
    });
  });

  it('returns to automatic when the TTL ends, and audits both transitions', async () => {
    f = await adminFixture();
    await post('/v1/breakers/pusher/force-open', { reason: 'drill', ttlSeconds: 60 });
    f.time.advance(59_999);
    expect((await f.app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER })).json().state).toBe('forced_open');
    f.time.advance(1);
    const res = await f.app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER });
    expect(res.json()).toMatchObject({ state: 'closed', override: null });
    const audit = await f.app.inject({ url: '/v1/breakers/pusher/audit', headers: AS_VIEWER });
    expect(audit.json().entries.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['override_expired', 'system'],
      ['force_open', 'olga'],
    ]);
  });

  it('DELETE …/override clears it, recording the reason (or a default)', async () => {
    f = await adminFixture();
    await post('/v1/breakers/pusher/force-open', { reason: 'drill', ttlSeconds: 60 });
    const res = await f.app.inject({
      method: 'DELETE',
      url: '/v1/breakers/pusher/override?reason=pusher%20recovered',
      headers: AS_OPERATOR,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'closed', override: null, generation: 2 });
    await post('/v1/breakers/pusher/force-close', { reason: 'drill', ttlSeconds: 60 });
    await f.app.inject({ method: 'DELETE', url: '/v1/breakers/pusher/override', headers: AS_OPERATOR });
    const entries = await f.store.audit('pusher');
    expect(entries.filter((e) => e.action === 'clear_override').map((e) => [e.actor, e.reason])).toEqual([
      ['olga', DEFAULT_CLEAR_REASON],
      ['olga', 'pusher recovered'],
    ]);
  });

  it('DELETE …/override without an override changes nothing and writes no audit entry', async () => {
    f = await adminFixture();
    const before = await f.store.snapshot('pusher');
    const res = await f.app.inject({ method: 'DELETE', url: '/v1/breakers/pusher/override', headers: AS_OPERATOR });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(before);
    expect(await f.store.audit('pusher')).toEqual([]);
  });

  it('reset closes the automatic state and empties the window, leaving an override in place', async () => {
    f = await adminFixture();
    await f.store.record('pusher', 'pod-1', { failures: 30, successes: 1 });
    await post('/v1/breakers/pusher/force-close', { reason: 'keep traffic flowing', ttlSeconds: 600 });
    const res = await post('/v1/breakers/pusher/reset', { reason: 'pusher fixed' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      state: 'forced_closed',
      automaticState: 'closed',
      window: { failures: 0, successes: 0 },
      override: { mode: 'forced_closed' },
    });
    expect((await f.store.audit('pusher', { limit: 1 }))[0]).toMatchObject({
      action: 'reset',
      actor: 'olga',
      reason: 'pusher fixed',
    });
  });

  it('refuses a viewer with 403 FORBIDDEN, changing nothing', async () => {
    f = await adminFixture();
    const res = await post('/v1/breakers/pusher/force-open', { reason: 'x', ttlSeconds: 60 }, AS_VIEWER);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    expect((await f.store.snapshot('pusher')).generation).toBe(0);
  });

  it('rate-limits mutations per token with 429 and Retry-After, and refills with time', async () => {
    f = await adminFixture({ rateLimit: { burst: 2, perMinute: 6 } });
    const open = (headers = AS_OPERATOR) =>
      post('/v1/breakers/pusher/force-open', { reason: 'storm', ttlSeconds: 60 }, headers);
    expect((await open()).statusCode).toBe(200);
    expect((await open()).statusCode).toBe(200);
    const limited = await open();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('10');
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect((await f.store.snapshot('pusher')).generation).toBe(2);
    expect(await f.store.audit('pusher')).toHaveLength(2);

    // Another token has its own budget; reads are not limited.
    expect((await open(bearer(SECRETS.operator2))).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect((await f.app.inject({ url: '/v1/breakers/pusher', headers: AS_OPERATOR })).statusCode).toBe(200);
    }
    f.time.advance(10_000);
    expect((await open()).statusCode).toBe(200);
    expect((await open()).statusCode).toBe(429);
  });

  it('takes no rate-limit token for a refused request: typos do not lock an SRE out', async () => {
    f = await adminFixture({ rateLimit: { burst: 1, perMinute: 1 } });
    const refused = [
      // Refused by validation (400), by JSON parsing (400), by the store (404, unknown breaker).
      await post('/v1/breakers/pusher/force-open', { reason: 'storm', ttlSeconds: 5 }),
      await f.app.inject({
        method: 'POST',
        url: '/v1/breakers/pusher/reset',
        headers: { ...AS_OPERATOR, 'content-type': 'application/json' },
        payload: '{"reason":',
      }),
      await post('/v1/breakers/ghost/force-open', { reason: 'storm', ttlSeconds: 60 }),
      await post('/v1/breakers/ghost/reset', { reason: 'typo' }),
      await f.app.inject({ method: 'DELETE', url: '/v1/breakers/ghost/override', headers: AS_OPERATOR }),
    ];
    expect(refused.map((r) => [r.statusCode, r.json().code])).toEqual([
      [400, 'INVALID_REQUEST'],
      [400, 'INVALID_JSON'],
      [404, 'BREAKER_NOT_FOUND'],
      [404, 'BREAKER_NOT_FOUND'],
      [404, 'BREAKER_NOT_FOUND'],
    ]);
    // The burst of one is still there for the real change, and spent by it.
    expect((await post('/v1/breakers/pusher/force-open', { reason: 'storm', ttlSeconds: 60 })).statusCode).toBe(200);
    const limited = await post('/v1/breakers/ghost/force-open', { reason: 'storm', ttlSeconds: 60 });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
  });

  it('says which field of a refused request is wrong', async () => {
    f = await adminFixture();
    const messages = [
      await post('/v1/breakers/pusher/force-open', { reason: 'x', ttlSeconds: 60, actor: 'mallory' }),
      await post('/v1/breakers/pusher/force-open', { reason: 'x' }),
      await post('/v1/breakers/pusher/force-close', { reason: 'x', ttlSeconds: 5 }),
      await post('/v1/breakers/pusher/reset?force=1', { reason: 'x' }),
      await f.app.inject({ url: '/v1/breakers/pusher/audit?limit=abc', headers: AS_VIEWER }),
    ].map((res) => res.json().message);
    expect(messages).toEqual([
      'body/actor: unknown field',
      'body/ttlSeconds: required',
      'body/ttlSeconds: must be >= 10',
      'querystring/force: unknown field',
      'querystring/limit: must be integer',
    ]);
  });
});
