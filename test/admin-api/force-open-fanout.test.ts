import { buildAdminApp } from '@breakwater/admin-api';
import { type BreakerTransition, type Disposable, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, tokenConfig } from './admin-fixtures.js';

/**
 * A force-open through the API reaches every pod through the store's channel.
 * Thirty "pods" each subscribe through their own RedisBreakerStore on their
 * own connections, as ClusterBreaker will (the test with 30 ClusterBreakers
 * comes with the pod runtime). Time is a hand-driven clock shared by every
 * store, so the TTL lapses without sleeping.
 */

const PODS = 30;
const TTL_SECONDS = 60;

interface Pod {
  readonly client: Redis;
  readonly store: RedisBreakerStore;
  readonly seen: BreakerTransition[];
  readonly subscription: Disposable;
}

describe('force-open fan-out to 30 subscribers', () => {
  let redis: TestRedis;
  let adminClient: Redis;
  let adminStore: RedisBreakerStore;
  let app: ReturnType<typeof buildAdminApp>;
  const pods: Pod[] = [];
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;

  beforeAll(async () => {
    redis = await acquireRedis('admin-fanout');
    adminClient = new Redis(redis.url);
    adminStore = new RedisBreakerStore({ client: adminClient, prefix: redis.prefix, clock });
    await adminStore.register('pusher');
    app = buildAdminApp({ store: adminStore, tokens: tokenConfig(now), clock });
    await app.ready();
    for (let i = 0; i < PODS; i++) {
      const client = new Redis(redis.url);
      const store = new RedisBreakerStore({ client, prefix: redis.prefix, clock });
      const seen: BreakerTransition[] = [];
      // Resolves once SUBSCRIBE is acknowledged on this pod's own subscriber connection.
      const subscription = await store.subscribe('pusher', (t) => seen.push(t));
      pods.push({ client, store, seen, subscription });
    }
  });

  afterAll(async () => {
    for (const pod of pods) {
      pod.subscription.dispose();
      await pod.store.close();
      pod.client.disconnect();
    }
    await app?.close();
    await adminStore?.close();
    adminClient?.disconnect();
    await redis?.release();
  });

  it('every pod sees forced_open, then automatic again after the TTL, and the audit has both', async () => {
    const setAt = now;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/breakers/pusher/force-open',
      headers: AS_OPERATOR,
      payload: { reason: 'pusher degraded, INC-9', ttlSeconds: TTL_SECONDS },
    });
    expect(res.statusCode).toBe(200);
    const opened = res.json();
    expect(opened).toMatchObject({ state: 'forced_open', override: { actor: 'olga', expiresAt: setAt + 60_000 } });

    const forceOpen: BreakerTransition = {
      name: 'pusher',
      action: 'force_open',
      from: 'closed',
      to: 'forced_open',
      state: 'forced_open',
      generation: opened.generation,
      at: setAt,
      actor: 'olga',
      reason: 'pusher degraded, INC-9',
    };
    // Pub/sub is asynchronous: wait (bounded by the timeout) until all 30 have it, then check what they got.
    await vi.waitFor(() => expect(pods.filter((p) => p.seen.length >= 1)).toHaveLength(PODS), {
      timeout: 10_000,
      interval: 5,
    });
    for (const pod of pods) expect(pod.seen).toEqual([forceOpen]);
    // And each pod reading the store itself agrees.
    const states = await Promise.all(pods.map((p) => p.store.snapshot('pusher')));
    expect(new Set(states.map((s) => `${s.state}/${s.generation}`))).toEqual(
      new Set([`forced_open/${opened.generation}`]),
    );

    // The TTL ends; the next read on the store's clock lapses the override and publishes it.
    now = setAt + TTL_SECONDS * 1000;
    const after = await app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER });
    expect(after.json()).toMatchObject({ state: 'closed', override: null, generation: opened.generation + 1 });

    const expired: BreakerTransition = {
      name: 'pusher',
      action: 'override_expired',
      from: 'forced_open',
      to: 'closed',
      state: 'closed',
      generation: opened.generation + 1,
      at: now,
      actor: 'system',
      reason: 'override expired',
    };
    await vi.waitFor(() => expect(pods.filter((p) => p.seen.length >= 2)).toHaveLength(PODS), {
      timeout: 10_000,
      interval: 5,
    });
    for (const pod of pods) expect(pod.seen).toEqual([forceOpen, expired]);

    const audit = await app.inject({ url: '/v1/breakers/pusher/audit', headers: AS_VIEWER });
    expect(audit.json().entries).toEqual([
      {
        id: expect.any(String),
        at: now,
        actor: 'system',
        action: 'override_expired',
        from: 'forced_open',
        to: 'closed',
        generation: opened.generation + 1,
        reason: 'override expired',
      },
      {
        id: expect.any(String),
        at: setAt,
        actor: 'olga',
        action: 'force_open',
        from: 'closed',
        to: 'forced_open',
        generation: opened.generation,
        reason: 'pusher degraded, INC-9',
      },
    ]);
  });
});
