import { ADMIN_REDIS_OPTIONS, buildAdminApp, redisReadiness } from '@breakwater/admin-api';
import { RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisServer, startRedis, uniquePrefix } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, tokenConfig } from './admin-fixtures.js';

/**
 * The routes on a RedisBreakerStore over the connection settings the
 * standalone server uses, and /readyz while Redis is really stopped (SIGSTOP)
 * and killed. This file owns its redis-server: faults are never injected into
 * a shared one.
 */
describe('admin API on a real Redis', () => {
  let server: RedisServer;
  let client: Redis;
  let store: RedisBreakerStore;
  let app: ReturnType<typeof buildAdminApp>;
  const prefix = uniquePrefix('admin-redis');

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { ...ADMIN_REDIS_OPTIONS, retryStrategy: () => 50, lazyConnect: true });
    client.on('error', () => {});
    await client.connect(); // no offline queue: commands sent before the connection is up fail
    store = new RedisBreakerStore({ client, prefix });
    await store.register('pusher');
    app = buildAdminApp({
      store,
      tokens: tokenConfig(Date.now()),
      readiness: redisReadiness(client),
      readinessTimeoutMs: 500,
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    client?.disconnect();
    await server?.stop();
  });

  const readyz = () => app.inject({ url: '/readyz' });

  it('drives the store: force-open, audit, clear, on Redis time', async () => {
    const open = await app.inject({
      method: 'POST',
      url: '/v1/breakers/pusher/force-open',
      headers: AS_OPERATOR,
      payload: { reason: 'INC-1', ttlSeconds: 600 },
    });
    expect(open.statusCode).toBe(200);
    const snapshot = open.json();
    expect(snapshot).toMatchObject({ state: 'forced_open', override: { actor: 'olga', reason: 'INC-1' } });
    expect(snapshot.override.expiresAt - snapshot.override.setAt).toBe(600_000);

    const list = await app.inject({ url: '/v1/breakers', headers: AS_VIEWER });
    expect(list.json().breakers.map((b: { name: string; state: string }) => [b.name, b.state])).toEqual([
      ['pusher', 'forced_open'],
    ]);
    await app.inject({ method: 'DELETE', url: '/v1/breakers/pusher/override?reason=ok', headers: AS_OPERATOR });
    const audit = await app.inject({ url: '/v1/breakers/pusher/audit?limit=10', headers: AS_VIEWER });
    expect(audit.json()).toEqual({ entries: await store.audit('pusher', { limit: 10 }) });
    expect(audit.json().entries.map((e: { action: string }) => e.action)).toEqual(['clear_override', 'force_open']);
  });

  it('/readyz follows Redis: 503 while it is stopped, 200 when it answers again', async () => {
    expect((await readyz()).statusCode).toBe(200);

    await server.pause();
    try {
      const paused = await readyz();
      expect(paused.statusCode).toBe(503);
      expect(paused.json().code).toBe('NOT_READY');
      // Liveness does not depend on Redis.
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await server.resume();
    }
    await vi.waitFor(async () => expect((await readyz()).statusCode).toBe(200), { timeout: 15_000, interval: 100 });
  });

  it('answers 503 STORE_UNAVAILABLE while Redis is down, and recovers after a restart', async () => {
    await server.kill();
    await vi.waitFor(async () => expect((await readyz()).statusCode).toBe(503), { timeout: 15_000, interval: 50 });
    const down = await app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER });
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('STORE_UNAVAILABLE');

    await server.restart();
    await vi.waitFor(async () => expect((await readyz()).statusCode).toBe(200), { timeout: 15_000, interval: 100 });
    // The restarted server is empty: the breaker is gone until a pod registers it again.
    expect((await app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER })).json().code).toBe(
      'BREAKER_NOT_FOUND',
    );
  });
});
