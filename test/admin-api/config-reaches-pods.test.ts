import { buildAdminApp } from '@breakwater/admin-api';
import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireRedis, type TestRedis, waitUntil } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, tokenConfig } from './admin-fixtures.js';

/**
 * PUT /v1/breakers/:name/config reaches every pod. The stored config is what
 * pods follow; a pod whose own config hashes differently reports config drift
 * (breakwater_breaker_config_drift 1). Here the breaker was stored by an older
 * deploy (failureThreshold 5) and five pods run the new rules (failureThreshold
 * 40, cooldown 2 s): they drift. The SRE stores the new rules through the API:
 * every pod follows them and its drift gauge clears — idle pods too (no outcomes
 * to flush), and with their resync off, so the config_update message alone
 * does it. A config the pods do not run raises drift again on all of them.
 * A refused PUT changes nothing: no key, no audit entry, no message.
 */

const PODS = 5;
/** The longest resync interval a ClusterBreaker takes: no resync happens while this test runs. */
const RESYNC_OFF_MS = 60_000;
const POD_CONFIG = { failureThreshold: 40, cooldownMs: 2_000 };

let redis: TestRedis;
let adminClient: Redis;
let store: RedisBreakerStore;
let app: ReturnType<typeof buildAdminApp>;
const clients: Redis[] = [];
const pods: { breaker: ClusterBreaker; registry: Registry }[] = [];

/** Each pod's breakwater_breaker_config_drift gauge. */
async function driftGauges(): Promise<number[]> {
  return Promise.all(
    pods.map(async ({ registry }) => {
      const line = (await registry.metrics()).split('\n').find((l) => l.startsWith('breakwater_breaker_config_drift{'));
      return Number(line?.split(' ')[1]);
    }),
  );
}

beforeAll(async () => {
  redis = await acquireRedis('admin-config');
  adminClient = new Redis(redis.url);
  store = new RedisBreakerStore({ client: adminClient, prefix: redis.prefix });
  await store.register('pusher', { failureThreshold: 5 }); // the older deploy's rules
  app = buildAdminApp({ store, tokens: tokenConfig(Date.now()) });
  await app.ready();
  for (let i = 0; i < PODS; i++) {
    const client = new Redis(redis.url);
    clients.push(client);
    const registry = new Registry();
    const breaker = await createClusterBreaker({
      name: 'pusher',
      store: new RedisBreakerStore({ client, prefix: redis.prefix }),
      podId: `pod-${i}`,
      config: POD_CONFIG,
      registry,
      resyncIntervalMs: RESYNC_OFF_MS,
      startTimeoutMs: 20_000,
    });
    pods.push({ breaker, registry });
  }
});

afterAll(async () => {
  await Promise.all(pods.map((p) => p.breaker.close()));
  for (const c of clients) c.disconnect();
  await app?.close();
  await store?.close();
  adminClient?.disconnect();
  await redis?.release();
});

const put = (config: unknown, headers = AS_OPERATOR) =>
  app.inject({
    method: 'PUT',
    url: '/v1/breakers/pusher/config',
    headers,
    payload: { reason: 'roll out the new rules', config },
  });

it('a config PUT reaches every pod, which follow it, and clears their drift when it is theirs', async () => {
  expect(await driftGauges()).toEqual(Array(PODS).fill(1));
  expect(pods.every((p) => p.breaker.snapshot.config.failureThreshold === 5)).toBe(true);
  const before = await store.snapshot('pusher');

  const res = await put(POD_CONFIG);
  expect(res.statusCode).toBe(200);
  const snapshot = res.json();
  expect(snapshot.config).toMatchObject({ failureThreshold: 40, cooldownMs: 2_000, windowMs: 30_000 });
  expect(snapshot.generation).toBe(before.generation + 1);

  // Pub/sub: every pod re-reads, follows the stored rules and no longer drifts.
  await waitUntil(async () => (await driftGauges()).every((g) => g === 0), { what: 'drift cleared on every pod' });
  for (const { breaker } of pods) {
    expect(breaker.snapshot.config).toEqual(snapshot.config);
    expect(breaker.diagnostics().configDrift).toBe(false);
  }
  const [entry] = (await app.inject({ url: '/v1/breakers/pusher/audit?limit=1', headers: AS_VIEWER })).json().entries;
  expect(entry).toMatchObject({
    action: 'config_update',
    actor: 'olga',
    reason: 'roll out the new rules',
    generation: snapshot.generation,
    config: { from: before.config, to: snapshot.config },
  });

  // The same config again: nothing written.
  const again = await put(POD_CONFIG);
  expect(again.json().generation).toBe(snapshot.generation);

  // Rules the pods do not run: they follow them, and report the drift.
  const other = await put({ quorum: 2 });
  expect(other.statusCode).toBe(200);
  await waitUntil(async () => (await driftGauges()).every((g) => g === 1), { what: 'drift on every pod' });
  expect(pods.every((p) => p.breaker.snapshot.config.quorum === 2)).toBe(true);
});

it('a refused PUT changes nothing: same keys, no audit entry, nothing published', async () => {
  const before = await store.snapshot('pusher');
  const audit = await store.audit('pusher', { limit: 1_000 });
  let published = 0;
  const subscription = await store.subscribe('pusher', () => {
    published += 1;
  });
  try {
    for (const [config, status] of [
      [{ failureThreshold: 0 }, 400],
      [{ bucketMs: 7_000 }, 400], // 30 s is not a multiple of 7 s: breaker-core's rule, on the merged config
      [{ cooldownMs: 60_000 }, 400], // above the stored maxCooldownMs
      [{ actor: 'mallory' }, 400],
      [{}, 400],
      ['40', 400],
    ] as const) {
      const res = await put(config);
      expect({ config, status: res.statusCode, code: res.json().code }).toEqual({
        config,
        status,
        code: 'INVALID_REQUEST',
      });
    }
    expect((await put({ quorum: 3 }, AS_VIEWER)).statusCode).toBe(403);
    // A message published by a real change would arrive before this one: nothing came.
    await store.reset('pusher', { actor: 'olga', reason: 'marker' });
    await waitUntil(() => published > 0, { what: 'the marker' });
    expect(published).toBe(1);
    const after = await store.snapshot('pusher');
    expect(after.config).toEqual(before.config);
    expect(after.generation).toBe(before.generation + 1); // the marker only
    expect((await store.audit('pusher', { limit: 1_000 })).slice(1)).toEqual(audit);
  } finally {
    subscription.dispose();
  }
});
