import {
  type BreakerConfig,
  isBreakerNotFoundError,
  isInvalidArgumentError,
  isStoreUnavailableError,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { breakerKeys, configHash, resolveBreakerConfig } from '@breakwater/breaker-core/internal';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedis, startRedisCluster } from '../../harness/index.js';
import { manualClock } from './manual-clock.js';

/** What only the Redis store has: Redis TIME, key layout and TTLs, Lua-side checks, restarts. */

const clients: Array<Redis | Cluster> = [];
function track<T extends Redis | Cluster>(client: T): T {
  client.on('error', () => {});
  clients.push(client);
  return client;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

const DATA_KEYS = ['state', 'config', 'window', 'pods', 'audit'] as const;

describe('RedisBreakerStore on a single redis-server', () => {
  it('uses Redis TIME as its clock by default', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const store = new RedisBreakerStore({ client });
    const redisNow = async () => {
      const [s, us] = await client.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    const before = await redisNow();
    const { snapshot } = await store.register('pusher', {});
    const after = await redisNow();
    expect(snapshot.at).toBeGreaterThanOrEqual(before);
    expect(snapshot.at).toBeLessThanOrEqual(after);
  });

  it('gives every key a TTL, refreshes it while in use, and keeps an override alive to its expiry', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const store = new RedisBreakerStore({ client, keyTtlMs: 3_600_000 });
    await store.register('pusher', { failureThreshold: 1 });
    await store.record('pusher', 'pod-a', { failures: 1, successes: 0 }); // creates window, pods, audit
    const keys = breakerKeys('bw', 'pusher');
    for (const k of DATA_KEYS) {
      const ttl = await client.pttl(keys[k]);
      expect(ttl, k).toBeGreaterThan(3_500_000);
      expect(ttl, k).toBeLessThanOrEqual(3_600_000);
    }
    expect(await client.pttl('bw:breakers')).toBeGreaterThan(0);

    await client.pexpire(keys.state, 1_000_000); // less than half the TTL left: the next call refreshes it
    await store.snapshot('pusher');
    expect(await client.pttl(keys.state)).toBeGreaterThan(3_500_000);

    await store.forceOpen('pusher', { reason: 'long maintenance', actor: 'ops', ttlMs: 86_400_000 });
    for (const k of DATA_KEYS) expect(await client.pttl(keys[k]), k).toBeGreaterThan(86_400_000);
  });

  it('gives the window and failing-pod set a TTL when a record below the threshold creates them', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const store = new RedisBreakerStore({ client, keyTtlMs: 3_600_000 });
    const keys = breakerKeys('bw', 'pusher');
    const expectTtls = async (when: string) => {
      for (const k of ['window', 'pods'] as const) {
        const ttl = await client.pttl(keys[k]);
        expect(ttl, `${k} ${when}`).toBeGreaterThan(3_500_000);
        expect(ttl, `${k} ${when}`).toBeLessThanOrEqual(3_600_000);
      }
    };
    await store.register('pusher', { failureThreshold: 20 });
    // No transition: the state is unchanged and its TTL is fresh, yet both keys are new.
    const first = await store.record('pusher', 'pod-a', { failures: 1, successes: 1 });
    expect(first.transitions).toEqual([]);
    await expectTtls('after the first record');

    await store.reset('pusher', { actor: 'ops', reason: 'drill' }); // deletes both keys
    expect(await client.exists(keys.window, keys.pods)).toBe(0);
    const again = await store.record('pusher', 'pod-b', { failures: 1, successes: 0 });
    expect(again.transitions).toEqual([]);
    await expectTtls('after a reset');
  });

  it('keeps the registry listing breakers in use: record() and snapshot() re-list them once per half TTL', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const clock = manualClock();
    const store = new RedisBreakerStore({ client, clock, keyTtlMs: 3_600_000 });
    await store.register('pusher', {});
    await store.register('billing', {});
    await client.pexpire('bw:breakers', 0); // the registry's TTL ran out: no pod started for keyTtlMs
    expect(await store.list()).toEqual([]);

    await store.record('pusher', 'pod-a', { failures: 0, successes: 1 });
    expect(await store.list()).toEqual([]); // listed moments ago: no extra writes on every call
    clock.advance(1_800_000); // half the TTL
    await store.record('pusher', 'pod-a', { failures: 0, successes: 1 });
    await store.snapshot('billing');
    expect(await store.list()).toEqual(['billing', 'pusher']);
    expect(await client.pttl('bw:breakers')).toBeGreaterThan(3_500_000);
  });

  it('keeps the window and the failing-pod set bounded', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const clock = manualClock();
    const store = new RedisBreakerStore({ client, clock });
    await store.register('pusher', { failureThreshold: 1_000_000, windowMs: 10_000, bucketMs: 1_000 });
    for (let i = 0; i < 200; i++) {
      await store.record('pusher', `pod-${i}`, { failures: 1, successes: 1 });
      clock.advance(250);
    }
    const keys = breakerKeys('bw', 'pusher');
    expect(await client.hlen(keys.window)).toBeLessThanOrEqual(3 * 10);
    // Only pods whose failure is within the 10 s window remain (250 ms apart → 40).
    expect(await client.zcard(keys.pods)).toBeLessThanOrEqual(41);
  });

  it('re-creates a breaker from the pod config after Redis lost everything', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url, { maxRetriesPerRequest: 1 }));
    const store = new RedisBreakerStore({ client });
    await store.register('pusher', { failureThreshold: 3 });
    await store.record('pusher', 'pod-a', { failures: 3, successes: 0 });
    await server.restart();
    await waitForReady(client);
    await expect(store.snapshot('pusher')).rejects.toSatisfy(isBreakerNotFoundError);
    const r = await store.record('pusher', 'pod-a', { failures: 1, successes: 0 });
    expect(r.snapshot).toMatchObject({ state: 'closed', generation: 0, window: { failures: 1 } });
    expect(r.snapshot.config.failureThreshold).toBe(3);
    expect(await store.list()).toEqual(['pusher']);
  });

  it('never repeats a lease token after Redis lost the keys: an old holder’s late report is refused', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const clock = manualClock();
    const store = new RedisBreakerStore({ client, clock });
    const config = { failureThreshold: 1, cooldownMs: 1_000, probeLeaseMs: 60_000 };
    const halfOpenLease = async (pod: string) => {
      await store.record('pusher', pod, { failures: 1, successes: 0 }); // re-creates the breaker if lost
      clock.advance(1_000);
      const reply = await store.acquireProbe('pusher', pod);
      if (!reply.granted) throw new Error(`expected a lease, got ${reply.reason}`);
      return reply.lease;
    };
    await store.register('pusher', config);
    const old = await halfOpenLease('pod-a');
    const keys = breakerKeys('bw', 'pusher');
    await client.unlink(...DATA_KEYS.map((k) => keys[k])); // Redis lost everything (no persistence, failover)
    const fresh = await halfOpenLease('pod-b');
    expect(fresh.generation).toBe(old.generation); // same generation and sequence in the new life…
    expect(fresh.token).not.toBe(old.token); // …but not the same token
    expect(await store.reportProbe(old, 'success')).toMatchObject({ accepted: false, reason: 'stale' });
    expect((await store.reportProbe(fresh, 'success')).snapshot.state).toBe('closed');
  });

  it('fails with StoreUnavailableError, not a hang, when the server is paused past the command timeout', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url, { commandTimeout: 200, maxRetriesPerRequest: 0 }));
    const store = new RedisBreakerStore({ client });
    await store.register('pusher', {});
    await server.pause();
    try {
      await expect(store.snapshot('pusher')).rejects.toSatisfy(isStoreUnavailableError);
    } finally {
      await server.resume();
    }
  });

  it('checks arguments again inside Lua: a malformed call is refused and writes nothing', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const store = new RedisBreakerStore({ client });
    await store.register('pusher', {});
    const keys = breakerKeys('bw', 'pusher');
    const before = await client.hgetall(keys.state);
    const call = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).bw1_recordOutcomes;
    const args = (failures: string) => [
      keys.state,
      keys.config,
      keys.window,
      keys.pods,
      keys.audit,
      '',
      keys.channel,
      3_600_000,
      1_000,
      'pusher',
      'pod-a',
      failures,
      '0',
      'hash',
      '[]',
    ];
    await expect(call?.call(client, ...args('-5'))).rejects.toThrow(/BW_BAD_INPUT failures/);
    await expect(call?.call(client, ...args('1.5'))).rejects.toThrow(/BW_BAD_INPUT failures/);
    expect(await client.hgetall(keys.state)).toEqual(before);
    expect(await client.exists(keys.window)).toBe(0);
  });

  it('checks a config passed to a script before writing anything: the stored one stays intact', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const clock = manualClock();
    const store = new RedisBreakerStore({ client, clock });
    await store.register('pusher', { failureThreshold: 5 });
    await store.forceOpen('pusher', { reason: 'drill', actor: 'ops', ttlMs: 1_000 });
    clock.advance(2_000); // the override's expiry is due: the next script would audit and publish it
    const keys = breakerKeys('bw', 'pusher');
    const before = {
      config: await client.hgetall(keys.config),
      state: await client.hgetall(keys.state),
      audit: await client.xlen(keys.audit),
    };
    const call = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).bw1_updateConfig;
    const base = [keys.state, keys.config, keys.window, keys.pods, keys.audit, clock(), keys.channel, 3_600_000, 1_000];
    const lacksMode = ['hash16hex0000000', '[]', 'windowMs', '30000', 'bucketMs', '1000', 'failureThreshold', '3'];
    await expect(call?.call(client, ...base, 'pusher', 'ops', 'tighter', ...lacksMode)).rejects.toThrow(
      /BW_BAD_INPUT config lacks/,
    );
    const badLayout = [...lacksMode.slice(0, 2), 'windowMs', '30000', 'bucketMs', '0'];
    await expect(call?.call(client, ...base, 'pusher', 'ops', 'tighter', ...badLayout)).rejects.toThrow(/BW_BAD_INPUT/);
    const full = configArgsOf(resolveBreakerConfig({ failureThreshold: 3 }));
    const badRatio = full.map((v, i) => (full[i - 1] === 'minFailureRatio' ? 'half' : v));
    await expect(call?.call(client, ...base, 'pusher', 'ops', 'tighter', ...badRatio)).rejects.toThrow(
      /BW_BAD_INPUT config has minFailureRatio half, not a number/,
    );
    expect(await client.hgetall(keys.config)).toEqual(before.config);
    expect(await client.hgetall(keys.state)).toEqual(before.state);
    expect(await client.xlen(keys.audit)).toBe(before.audit);
    expect((await store.snapshot('pusher')).config.failureThreshold).toBe(5); // and still readable
  });

  it('reads a config stored before minFailureRatio existed as the count rule alone, as it was written', async () => {
    const server = await startRedis();
    const client = track(new Redis(server.url));
    const clock = manualClock();
    const store = new RedisBreakerStore({ client, clock });
    await store.register('pusher', {});
    // What an earlier version stored: no minFailureRatio field, nor in the canonical JSON; its own hash.
    const keys = breakerKeys('bw', 'pusher');
    const json = JSON.parse(await client.hget(keys.config, 'json').then(String)) as [string, unknown][];
    await client.hdel(keys.config, 'minFailureRatio');
    await client.hset(keys.config, {
      hash: 'legacy0000000000',
      json: JSON.stringify(json.filter(([k]) => k !== 'minFailureRatio')),
    });
    const before = await store.record('pusher', 'pod-a', { failures: 0, successes: 1_000 });
    expect(before.configDrift).toBe(true); // the pod's rules differ from the stored ones, which are in force
    expect(before.snapshot.config.minFailureRatio).toBe(0);
    const r = await store.record('pusher', 'pod-a', { failures: 20, successes: 0 }); // 20 of 1,020
    expect(r.transitions).toEqual([
      expect.objectContaining({ action: 'trip', reason: '20 failures in window (of 1020 calls)' }),
    ]);
  });

  it('rejects bad options with the option named', () => {
    const client = track(new Redis({ lazyConnect: true }));
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ client: {} }, /options.client/],
      [{ client, prefix: 'has{brace}' }, /prefix/],
      [{ client, keyTtlMs: 1_000 }, /options.keyTtlMs/],
      [{ client, auditMaxLength: 0 }, /options.auditMaxLength/],
      [{ client, clock: 5 }, /options.clock/],
      [{ client, prefx: 'typo' }, /options.prefx/],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        new RedisBreakerStore(options as never);
      } catch (err) {
        error = err;
      }
      expect(isInvalidArgumentError(error)).toBe(true);
      expect(String(error)).toMatch(message);
    }
  });
});

describe('RedisBreakerStore on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });
  afterAll(() => cluster.stop());

  it('keeps all of a breaker’s keys in one slot, for several breakers on different nodes', async () => {
    const client = track(new Cluster([...cluster.startupNodes]));
    const store = new RedisBreakerStore({ client });
    const owners = new Set<number>();
    for (const name of ['pusher', 'billing', 'search', 'geo', 'auth', 'mail']) {
      await store.register(name, { failureThreshold: 1 });
      await store.record(name, 'pod-a', { failures: 1, successes: 0 });
      const keys = breakerKeys('bw', name);
      const nodes = await Promise.all(DATA_KEYS.map((k) => cluster.nodeForKey(keys[k])));
      expect(new Set(nodes.map((n) => n.port)).size).toBe(1);
      owners.add((nodes[0] as { port: number }).port);
      expect((await store.snapshot(name)).state).toBe('open');
    }
    expect(owners.size).toBeGreaterThan(1);
    expect(await store.list()).toEqual(['auth', 'billing', 'geo', 'mail', 'pusher', 'search']);
  });
});

/** After a restart, the client reconnects on its own; wait until a command goes through. */
async function waitForReady(client: Redis): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.ping();
      return;
    } catch (err) {
      if (attempt > 200) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** A config as script arguments (hash, json, then field/value pairs), as config-fields.ts builds them. */
function configArgsOf(c: BreakerConfig): string[] {
  const fields: [string, unknown][] = [
    ['windowMs', c.windowMs],
    ['bucketMs', c.bucketMs],
    ['failureThreshold', c.failureThreshold],
    ['minFailureRatio', c.minFailureRatio],
    ['rateThreshold', c.failureRate?.threshold ?? ''],
    ['minimumCalls', c.failureRate?.minimumCalls ?? ''],
    ['quorum', c.quorum],
    ['cooldownMs', c.cooldownMs],
    ['cooldownMultiplier', c.cooldownMultiplier],
    ['maxCooldownMs', c.maxCooldownMs],
    ['cooldownJitter', c.cooldownJitter],
    ['probeLeaseMs', c.probeLeaseMs],
    ['successThreshold', c.successThreshold],
    ['mode', c.mode],
  ];
  return [configHash(c), '[]', ...fields.flatMap(([k, v]) => [k, String(v)])];
}
