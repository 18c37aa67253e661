import {
  type ClusterBreaker,
  type ClusterBreakerOptions,
  createClusterBreaker,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * Pub/sub on its own: every pod here has its periodic resync pushed out to
 * 60 s, so whatever it learns after start-up it learns from the channel (or
 * from the resync a reconnect triggers, which the tests wait out first).
 */

const RESYNC_OFF = 60_000;
const CHANNEL = breakerKeys('bw', 'pusher').channel;
const open: ClusterBreaker[] = [];
const admins: Redis[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  for (const a of admins.splice(0)) a.disconnect();
});

/** The test's own connection and store on `server`, standing in for an operator. */
function operator(server: RedisServer): { admin: Redis; store: RedisBreakerStore } {
  const admin = new Redis(server.url);
  admins.push(admin);
  return { admin, store: new RedisBreakerStore({ client: admin }) };
}

const request = { actor: 'sre', reason: 'drill', ttlMs: 60_000 };
const clearing = { actor: 'sre', reason: 'drill over' };

async function pod(url: string, podId: string, extra: Partial<ClusterBreakerOptions> = {}): Promise<ClusterBreaker> {
  const b = await createClusterBreaker({
    name: 'pusher',
    redis: url,
    podId,
    resyncIntervalMs: RESYNC_OFF,
    config: { failureThreshold: 5, cooldownMs: 60_000 },
    ...extra,
  });
  open.push(b);
  return b;
}

describe('the subscription', () => {
  it('is made once Redis returns when it could not be made at start', async () => {
    const server = await startRedis();
    await server.kill();
    const late = await pod(server.url, 'pod-late', { startTimeoutMs: 200 });
    const causes: string[] = [];
    late.onStateChange((e) => causes.push(e.cause));
    await server.restart();
    await waitUntil(() => late.source === 'shared', { what: 'the late pod joined' });

    const other = await pod(server.url, 'pod-other');
    // The late pod's subscriber reconnects on its own backoff, after its command connection:
    // trip only once both pods listen, so the message (not a resync) is what reaches it.
    const { admin } = operator(server);
    await waitUntil(async () => ((await admin.pubsub('NUMSUB', CHANNEL)) as [string, number])[1] === 2, {
      what: 'both pods subscribed',
    });
    for (let i = 0; i < 5; i++) other.recordFailure();
    await waitUntil(() => late.state === 'open', { what: 'the trip reached the late pod by pub/sub' });
    expect(causes.at(-1)).toBe('trip'); // a resync would say 'resync'
  });
});

describe('messages', () => {
  it('an older generation than the pod holds is ignored', async () => {
    const server = await startRedis();
    const b = await pod(server.url, 'pod-a');
    const { admin, store } = operator(server);
    await store.forceOpen('pusher', request); // generation 1
    await store.clearOverride('pusher', clearing); // generation 2
    await waitUntil(() => b.state === 'closed' && b.generation === 2, { what: 'the pod at generation 2' });
    const seen: string[] = [];
    b.onStateChange((e) => seen.push(`${e.from}->${e.to}@${e.generation}`));

    // A late copy of the generation-1 force-open, as a replaying proxy might deliver it.
    const stale = { name: 'pusher', action: 'force_open', from: 'closed', to: 'forced_open', state: 'forced_open' };
    await admin.publish(CHANNEL, JSON.stringify({ ...stale, generation: 1, at: Date.now(), actor: 'x', reason: 'x' }));
    // Then a real one on the same channel: once the pod has it, it has handled the stale one (in order).
    await store.forceClose('pusher', request); // generation 3
    await waitUntil(() => b.state === 'forced_closed', { what: 'the pod got the newer message' });
    expect(seen).toEqual(['closed->forced_closed@3']);
  });

  it('from a breaker re-created after Redis lost it are applied, although their generation is not newer', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 60_000 };
    const b = await pod(server.url, 'pod-a', { config });
    const { admin, store } = operator(server);
    await store.forceOpen('pusher', request); // generation 1
    await store.clearOverride('pusher', clearing); // generation 2
    await waitUntil(() => b.state === 'closed' && b.generation === 2, { what: 'the pod at generation 2' });
    const before = b.snapshot.incarnation;

    // Redis loses the breaker's keys (as a restart without persistence would, minus the reconnect and
    // its resync, which would hide what pub/sub does); the operator's store re-creates it, generation 0.
    const keys = breakerKeys('bw', 'pusher');
    await admin.del(keys.state, keys.config, keys.window, keys.pods, keys.audit);
    await store.register('pusher', config);
    await store.forceOpen('pusher', request); // generation 1 of the new incarnation
    await waitUntil(() => b.state === 'forced_open', { what: 'the new incarnation’s force-open reached the pod' });
    expect(b.generation).toBe(1);
    await waitUntil(() => b.snapshot.incarnation !== before, { what: 'the resync after it read the new life' });
  });

  it('still arrive after the subscriber connection is killed and comes back', async () => {
    const server = await startRedis();
    let now = Date.now();
    const b = await pod(server.url, 'pod-a', { clock: () => now });
    const { admin, store } = operator(server);
    now += 10_000; // the view is now 10 s old on the pod's clock: only a resync makes it 0 again
    expect(b.viewAge).toBe(10_000);

    await admin.client('KILL', 'TYPE', 'pubsub');
    const subscribers = async () => Number(((await admin.pubsub('NUMSUB', CHANNEL)) as [string, number])[1]);
    expect(await subscribers()).toBe(0);
    // Wait out the reconnect's own resync, so that it cannot be what brings the next transition.
    await waitUntil(async () => (await subscribers()) === 1 && b.viewAge === 0, {
      what: 'resubscribed, then resynced',
    });

    const causes: string[] = [];
    b.onStateChange((e) => causes.push(e.cause));
    await store.forceOpen('pusher', request);
    await waitUntil(() => b.state === 'forced_open', { what: 'the force-open reached the pod' });
    expect(causes).toEqual(['force_open']); // by pub/sub: a resync would say 'resync'
  });
});
