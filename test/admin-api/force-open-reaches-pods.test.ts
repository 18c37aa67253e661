import { buildAdminApp } from '@breakwater/admin-api';
import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, tokenConfig } from './admin-fixtures.js';

/**
 * An SRE's force-open reaches every pod through the store's channel: 30
 * ClusterBreakers, each on its own Redis connections, are forced_open right
 * after the request returns, and back to automatic once the TTL has passed —
 * both transitions in the audit. Time is a hand-driven clock shared by the
 * stores (Redis scripts get it instead of TIME), so the TTL lapses without sleeping.
 */

const PODS = 30;
const TTL_SECONDS = 60;

let redis: TestRedis;
let adminClient: Redis;
let app: ReturnType<typeof buildAdminApp>;
const clients: Redis[] = [];
const pods: ClusterBreaker[] = [];
let now = Date.UTC(2026, 10, 27);
const clock = () => now;

beforeAll(async () => {
  redis = await acquireRedis('admin-pods');
  adminClient = new Redis(redis.url);
  const adminStore = new RedisBreakerStore({ client: adminClient, prefix: redis.prefix, clock });
  app = buildAdminApp({ store: adminStore, tokens: tokenConfig(now), clock });
  await app.ready();
  for (let i = 0; i < PODS; i++) {
    const client = new Redis(redis.url);
    clients.push(client);
    pods.push(
      await createClusterBreaker({
        name: 'pusher',
        store: new RedisBreakerStore({ client, prefix: redis.prefix, clock }),
        podId: `pod-${i}`,
        resyncIntervalMs: 50,
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(pods.map((p) => p.close()));
  for (const c of clients) c.disconnect();
  await app?.close();
  adminClient?.disconnect();
  await redis?.release();
});

it('a force-open through the API puts all 30 pods in forced_open, and the TTL returns them to automatic', async () => {
  expect(pods.every((p) => p.state === 'closed' && p.allow())).toBe(true);
  const setAt = now;
  const res = await app.inject({
    method: 'POST',
    url: '/v1/breakers/pusher/force-open',
    headers: AS_OPERATOR,
    payload: { reason: 'pusher degraded, INC-9', ttlSeconds: TTL_SECONDS },
  });
  expect(res.statusCode).toBe(200);
  const generation = res.json().generation as number;

  // Pub/sub is asynchronous: bounded wait until every pod has it, then check what they hold.
  await vi.waitFor(() => expect(pods.filter((p) => p.state === 'forced_open')).toHaveLength(PODS), {
    timeout: 10_000,
    interval: 5,
  });
  for (const pod of pods) {
    expect(pod.allow()).toBe(false);
    expect(pod.generation).toBe(generation);
  }
  // The full snapshot (who, why, until when) follows each pod's resync.
  await vi.waitFor(() => expect(pods.filter((p) => p.snapshot.override?.actor === 'olga')).toHaveLength(PODS), {
    timeout: 10_000,
    interval: 5,
  });
  expect(pods[0]?.snapshot.override).toMatchObject({ reason: 'pusher degraded, INC-9', expiresAt: setAt + 60_000 });

  now = setAt + TTL_SECONDS * 1_000; // the TTL passes; the pods' next resync lapses the override
  await vi.waitFor(() => expect(pods.filter((p) => p.state === 'closed')).toHaveLength(PODS), {
    timeout: 10_000,
    interval: 5,
  });
  expect(pods.every((p) => p.allow() && p.generation === generation + 1)).toBe(true);

  const audit = await app.inject({ url: '/v1/breakers/pusher/audit', headers: AS_VIEWER });
  expect(audit.json().entries).toEqual([
    expect.objectContaining({
      action: 'override_expired',
      actor: 'system',
      from: 'forced_open',
      to: 'closed',
      generation: generation + 1,
      at: now,
    }),
    expect.objectContaining({
      action: 'force_open',
      actor: 'olga',
      from: 'closed',
      to: 'forced_open',
      generation,
      at: setAt,
    }),
  ]);
});
