import { afterEach, describe, expect, it } from 'vitest';
import { type AdminFixture, adminFixture } from '../test-support/admin-fixture.js';

describe('health routes', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  it('/healthz answers without a token and without asking the store', async () => {
    f = await adminFixture({ readiness: { ping: () => Promise.reject(new Error('redis down')) } });
    const res = await f.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 without a readiness check (memory store)', async () => {
    f = await adminFixture();
    expect((await f.app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('/readyz is 200 when the store answers and 503 NOT_READY when it fails', async () => {
    let up = true;
    f = await adminFixture({
      readiness: { ping: () => (up ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED'))) },
    });
    expect((await f.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    up = false;
    const res = await f.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      statusCode: 503,
      code: 'NOT_READY',
      message: 'the store did not answer: connect ECONNREFUSED',
    });
  });

  it('/readyz is 503 when the store does not answer within readinessTimeoutMs', async () => {
    f = await adminFixture({ readiness: { ping: () => new Promise(() => {}) }, readinessTimeoutMs: 100 });
    const res = await f.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toBe('the store did not answer: no answer within 100 ms');
  });
});
