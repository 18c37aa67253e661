import { buildAdminApp } from '@breakwater/admin-api';
import {
  type ClusterBreaker,
  createClusterBreaker,
  RedisBreakerStore,
  type StateChangeEvent,
} from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
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
 *
 * The pods' periodic resync is as slow as it goes (60 s, longer than this
 * test), so only pub/sub can move them; and each pod's state change must carry
 * the published action as its cause (`force_open`, `override_expired`): a
 * change found by a resync would say `resync`.
 */

const PODS = 30;
const TTL_SECONDS = 60;
/** The longest resync interval a ClusterBreaker takes: no resync happens while this test runs. */
const RESYNC_OFF_MS = 60_000;

let redis: TestRedis;
let adminClient: Redis;
let app: ReturnType<typeof buildAdminApp>;
const clients: Redis[] = [];
const pods: ClusterBreaker[] = [];
/** Every state change each pod reported, by pod index. */
const changes: StateChangeEvent[][] = [];
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
        resyncIntervalMs: RESYNC_OFF_MS,
        // Start waits for the subscription for up to this long: no pod may miss the message.
        startTimeoutMs: 20_000,
      }),
    );
    const seen: StateChangeEvent[] = [];
    changes.push(seen);
    pods[i]?.onStateChange((e) => seen.push(e));
  }
});

afterAll(async () => {
  await Promise.all(pods.map((p) => p.close()));
  for (const c of clients) c.disconnect();
  await app?.close();
  adminClient?.disconnect();
  await redis?.release();
});

it('a force-open through the API reaches all 30 pods by pub/sub, and so does its lapse after the TTL', async () => {
  expect(pods.every((p) => p.state === 'closed' && p.allow())).toBe(true);
  // Every pod listens on the breaker's channel (each on its own subscriber connection).
  const channel = breakerKeys(redis.prefix, 'pusher').channel;
  expect(await adminClient.pubsub('NUMSUB', channel)).toEqual([channel, PODS]);

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
  const forcedOpen = { from: 'closed', to: 'forced_open', generation, cause: 'force_open', source: 'shared' };
  for (const [i, pod] of pods.entries()) {
    expect(pod.allow()).toBe(false);
    expect(pod.generation).toBe(generation);
    expect(changes[i]).toEqual([forcedOpen]);
  }
  // The full snapshot (who, why, until when) follows from the read each message triggers.
  await vi.waitFor(() => expect(pods.filter((p) => p.snapshot.override?.actor === 'olga')).toHaveLength(PODS), {
    timeout: 10_000,
    interval: 5,
  });
  expect(pods[0]?.snapshot.override).toMatchObject({ reason: 'pusher degraded, INC-9', expiresAt: setAt + 60_000 });

  // The TTL passes on the store's clock. Nothing on the pods fires (their resync is off and their
  // own timer for the expiry is a real minute away): a read through the API applies the lapse,
  // and the script publishes it.
  now = setAt + TTL_SECONDS * 1_000;
  const read = await app.inject({ url: '/v1/breakers/pusher', headers: AS_VIEWER });
  expect(read.json()).toMatchObject({ state: 'closed', override: null, generation: generation + 1 });
  await vi.waitFor(() => expect(pods.filter((p) => p.state === 'closed')).toHaveLength(PODS), {
    timeout: 10_000,
    interval: 5,
  });
  const lapsed = {
    from: 'forced_open',
    to: 'closed',
    generation: generation + 1,
    cause: 'override_expired',
    source: 'shared',
  };
  for (const [i, pod] of pods.entries()) {
    expect(pod.allow()).toBe(true);
    expect(pod.generation).toBe(generation + 1);
    expect(changes[i]).toEqual([forcedOpen, lapsed]);
  }

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
