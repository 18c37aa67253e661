import { afterEach, describe, expect, it } from 'vitest';
import { type AdminFixture, AS_VIEWER, adminFixture } from '../test-support/admin-fixture.js';

describe('breaker read routes', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  it('GET /v1/breakers lists every breaker, sorted, exactly as the store sees it', async () => {
    f = await adminFixture();
    // Give every nullable field a value: an override on one, a live probe lease on the other.
    await f.store.forceOpen('billing', { reason: 'maintenance', actor: 'olga', ttlMs: 600_000 });
    await f.store.record('pusher', 'pod-1', { failures: 25, successes: 3 });
    f.time.advance(60_000);
    await f.store.acquireProbe('pusher', 'pod-7');

    const res = await f.app.inject({ url: '/v1/breakers', headers: AS_VIEWER });

    expect(res.statusCode).toBe(200);
    const expected = [await f.store.snapshot('billing'), await f.store.snapshot('pusher')];
    expect(res.json()).toEqual({ breakers: expected, truncated: false });
    expect(expected[0]?.override?.actor).toBe('olga');
    expect(expected[1]?.probe?.holder).toBe('pod-7');
  });

  it('lists at most maxListedBreakers and says so', async () => {
    f = await adminFixture({ maxListedBreakers: 1 });
    const res = await f.app.inject({ url: '/v1/breakers', headers: AS_VIEWER });
    expect(res.json().breakers.map((b: { name: string }) => b.name)).toEqual(['billing']);
    expect(res.json().truncated).toBe(true);
  });

  it('GET /v1/breakers/:name answers the full snapshot', async () => {
    f = await adminFixture();
    await f.store.record('pusher', 'pod-1', { failures: 3, successes: 9 });
    const res = await f.app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(await f.store.snapshot('pusher'));
    expect(res.json().window).toEqual({ failures: 3, successes: 9, failingPods: 1 });
  });

  it('answers 404 BREAKER_NOT_FOUND for a breaker the store does not hold', async () => {
    f = await adminFixture();
    const res = await f.app.inject({ url: '/v1/breakers/ghost', headers: AS_VIEWER });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      code: 'BREAKER_NOT_FOUND',
      message: 'breaker "ghost" does not exist in the store',
    });
  });
});
