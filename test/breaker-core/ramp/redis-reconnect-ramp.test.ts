import {
  isInvalidArgumentError,
  isStoreUnavailableError,
  MemoryReconnectRamp,
  type RampDecision,
  RedisReconnectRamp,
} from '@breakwater/breaker-core';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, startRedis, startRedisCluster, type TestRedis } from '../../harness/index.js';

// The ramp against a real Redis: same decisions as the memory ramp, atomic under
// concurrent pods, one key with the breaker's hash tag and a TTL.

let redis: TestRedis;
const clients: (Redis | Cluster)[] = [];

/** A fail-fast client (no offline queue), connected before it is used. */
async function client(url: string): Promise<Redis> {
  const c = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  c.on('error', () => {}); // the dead-Redis test kills the server under it
  clients.push(c);
  await c.connect();
  return c;
}

beforeAll(async () => {
  redis = await acquireRedis('ramp');
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.release();
});

describe('RedisReconnectRamp', () => {
  it('decides exactly like the memory ramp on the same clock', async () => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const prefix = `${redis.prefix}same`;
    const onRedis = new RedisReconnectRamp({
      client: await client(redis.url),
      name: 'pusher',
      prefix,
      ratePerSec: 3.5,
      burst: 4,
      maxWaitMs: 700,
      clock,
    });
    const inMemory = new MemoryReconnectRamp({ ratePerSec: 3.5, burst: 4, maxWaitMs: 700, clock });
    const fromRedis: RampDecision[] = [];
    const fromMemory: RampDecision[] = [];
    // A fixed, irregular schedule of requests with costs 1..2.
    const steps = [0, 0, 0, 0, 0, 10, 99, 150, 286, 300, 301, 1_000, 1_001, 1_002, 5_000, 5_000, 5_000, 5_000, 5_000];
    for (const [i, step] of steps.entries()) {
      now += step;
      const cost = i % 5 === 4 ? 2 : 1;
      fromRedis.push(await onRedis.take(cost));
      fromMemory.push(await inMemory.take(cost));
    }
    expect(fromRedis).toEqual(fromMemory);
    expect(fromRedis.filter((d) => d.admitted && d.delayMs === 0).length).toBeGreaterThan(4);
    expect(fromRedis.filter((d) => d.admitted && d.delayMs > 0).length).toBeGreaterThan(1);
    expect(fromRedis.filter((d) => !d.admitted).length).toBeGreaterThan(2);
  });

  it('admits no more than the burst when three pods ask at once (one atomic script)', async () => {
    const now = 1_700_000_000_000;
    const prefix = `${redis.prefix}atomic`;
    const connections = await Promise.all([0, 1, 2].map(() => client(redis.url)));
    const pods = connections.map(
      (c) =>
        new RedisReconnectRamp({
          client: c,
          name: 'pusher',
          prefix,
          ratePerSec: 1,
          burst: 25,
          maxWaitMs: 50_000,
          clock: () => now,
        }),
    );
    const decisions = await Promise.all(pods.flatMap((pod) => Array.from({ length: 100 }, () => pod.take())));
    // 25 at once, then exactly one slot per second for 50 s, each booked once; the rest refused.
    const now0 = decisions.filter((d) => d.admitted && d.delayMs === 0);
    const booked = decisions.flatMap((d) => (d.admitted && d.delayMs > 0 ? [d.delayMs] : [])).sort((a, b) => a - b);
    expect(now0).toHaveLength(25);
    expect(booked).toEqual(Array.from({ length: 50 }, (_, i) => (i + 1) * 1_000));
    expect(decisions.filter((d) => !d.admitted)).toHaveLength(225);
  });

  it('runs on Redis TIME by default, with one hash-tagged key that has a TTL', async () => {
    const c = await client(redis.url);
    const ramp = new RedisReconnectRamp({
      client: c,
      name: 'pusher',
      prefix: `${redis.prefix}time`,
      ratePerSec: 0.001,
      burst: 3,
      maxWaitMs: 0,
    });
    expect(ramp.key).toBe(`${redis.prefix}time:{pusher}:ramp`);
    const decisions = [await ramp.take(), await ramp.take(), await ramp.take(), await ramp.take()];
    expect(decisions.map((d) => d.admitted)).toEqual([true, true, true, false]);
    // 1 token per 1,000 s: the refusal says so (minus what trickled in meanwhile).
    const refusal = decisions[3] as { retryAfterMs: number };
    expect(refusal.retryAfterMs).toBeGreaterThan(900_000);
    expect(refusal.retryAfterMs).toBeLessThanOrEqual(1_000_000);
    const ttl = await c.pttl(ramp.key);
    // The TTL outlives a full refill (3,000 s here, no booking), so expiry grants nothing a full bucket would not.
    expect(ttl).toBeGreaterThan(3_000_000);
    expect(await c.keys(`${redis.prefix}time*`)).toEqual([ramp.key]);
  });

  it('maps bad script input and a dead Redis to typed errors', async () => {
    const server = await startRedis();
    const c = await client(server.url);
    const ramp = new RedisReconnectRamp({ client: c, name: 'pusher', prefix: 'bwtest', burst: 2 });
    await expect(ramp.take(3)).rejects.toSatisfy(isInvalidArgumentError);
    expect((await ramp.take()).admitted).toBe(true);
    await server.kill();
    await expect(ramp.take()).rejects.toSatisfy(isStoreUnavailableError);
    await server.stop();
  });

  it('rejects bad options naming them', async () => {
    const c = await client(redis.url);
    const names: string[] = [];
    for (const options of [
      { client: {} as never, name: 'pusher' },
      { client: c, name: '{bad}' },
      { client: c, name: 'pusher', prefix: 'a{b}' },
      { client: c, name: 'pusher', ratePerSec: 0 },
      { client: c, name: 'pusher', burst: 0 },
      { client: c, name: 'pusher', maxWaitMs: -5 },
      { client: c, name: 'pusher', clock: 'now' as never },
      { client: c, name: 'pusher', rate: 1 } as never,
    ]) {
      try {
        new RedisReconnectRamp(options);
      } catch (err) {
        if (isInvalidArgumentError(err)) names.push(err.argument);
      }
    }
    expect(names).toEqual([
      'options.client',
      'options.name',
      'prefix',
      'options.ratePerSec',
      'options.burst',
      'options.maxWaitMs',
      'options.clock',
      'options.rate',
    ]);
  });

  it('runs on Redis Cluster: the one key stays in the breaker slot', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    const c = new Cluster([...cluster.startupNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    clients.push(c);
    let now = 1_700_000_000_000;
    const ramp = new RedisReconnectRamp({
      client: c,
      name: 'pusher',
      prefix: 'bwtest',
      ratePerSec: 2,
      burst: 2,
      maxWaitMs: 0,
      clock: () => now,
    });
    const admitted: boolean[] = [];
    for (let i = 0; i < 3; i++) admitted.push((await ramp.take()).admitted);
    now += 500;
    admitted.push((await ramp.take()).admitted);
    expect(admitted).toEqual([true, true, false, true]);
    const owner = await cluster.nodeForKey('bwtest:{pusher}:state');
    const direct = await client(owner.url);
    expect(await direct.exists(ramp.key)).toBe(1);
  });
});
