import {
  isInvalidArgumentError,
  isStoreUnavailableError,
  MemoryReconnectRamp,
  type RampAdmission,
  type RampDecision,
  type RampOutcome,
  type RampStatus,
  type ReconnectRampOptions,
  RedisReconnectRamp,
} from '@breakwater/breaker-core';
import { Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type RedisCluster, startRedis, startRedisCluster, type TestRedis } from '../../harness/index.js';

// The adaptive ramp against a real Redis and a real Redis Cluster: the same decisions
// as the memory ramp on the same clock, atomic under concurrent pods, one call per pod
// for many sessions, one hash-tagged key with a TTL.

let redis: TestRedis;
let cluster: RedisCluster;
const clients: (Redis | Cluster)[] = [];

/** A fail-fast client (no offline queue), connected before it is used. */
async function client(url: string): Promise<Redis> {
  const c = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  c.on('error', () => {}); // the dead-Redis test kills the server under it
  clients.push(c);
  await c.connect();
  return c;
}

function clusterClient(): Cluster {
  const c = new Cluster([...cluster.startupNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  redis = await acquireRedis('ramp');
  cluster = await startRedisCluster({ masters: 3 });
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.release();
  await cluster.stop();
});

/** Every rule off its default, so a rule the script gets wrong shows. */
const RULES: ReconnectRampOptions = {
  ratePerSec: 4,
  minRatePerSec: 1,
  maxRatePerSec: 40,
  burst: 3,
  maxWaitMs: 700,
  minRetryAfterMs: 250,
  increaseFactor: 2.5,
  increaseStepPerSec: 1.5,
  decreaseFactor: 0.7,
  failureRatio: 0.3,
  adjustIntervalMs: 1_000,
  maxPauseMs: 2_000,
  idleResetMs: 8_000,
};

/** A seeded generator: the same "random" history every run. */
function lcg(seed: number) {
  return () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
}

/**
 * A history of takes and reports on a memory ramp and a Redis ramp side by side, on one
 * hand-moved clock; each report is sent (flushed) before the next, as a pod with a quiet
 * interval would. Returns both sides' decisions and statuses, step by step.
 */
async function sideBySide(c: Redis | Cluster, prefix: string, steps: number, rules: ReconnectRampOptions = RULES) {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const onRedis = new RedisReconnectRamp({ client: c, name: 'pusher', prefix, intervalMs: 0, clock, ...rules });
  const inMemory = new MemoryReconnectRamp({ clock, ...rules });
  const random = lcg(13);
  const log: { redis: unknown[]; memory: unknown[] } = { redis: [], memory: [] };
  const admitted: [RampAdmission, RampAdmission][] = [];
  for (let step = 0; step < steps; step++) {
    const jump = random();
    now += jump < 0.03 ? 9_000 : Math.floor(random() * 400); // now and then a quiet spell: a restart
    const takes = Math.floor(random() * 4);
    for (let i = 0; i < takes; i++) {
      const cost = random() < 0.2 ? 2 : 1;
      const [r, m] = [await onRedis.take(cost), await inMemory.take(cost)];
      log.redis.push(r);
      log.memory.push(m);
      if (r.admitted && m.admitted) admitted.push([r, m]);
    }
    const reports = Math.floor(random() * 3);
    for (let i = 0; i < reports && admitted.length > 0; i++) {
      // Mostly recent admissions, sometimes an old one (stale after a change).
      const back = random() < 0.8 ? Math.floor(random() * 3) : Math.floor(random() * admitted.length);
      const [r, m] = admitted[Math.max(0, admitted.length - 1 - back)] as [RampAdmission, RampAdmission];
      const roll = random();
      const outcome: RampOutcome = roll < 0.65 ? 'success' : roll < 0.9 ? 'failure' : 'overload';
      const feedback = outcome === 'overload' && random() < 0.5 ? { outcome, retryAfterMs: 1_500 } : { outcome };
      onRedis.report(r, feedback);
      inMemory.report(m, feedback);
      await onRedis.flush();
    }
    const statuses: [RampStatus, RampStatus] = [onRedis.status, inMemory.status];
    log.redis.push(statuses[0]);
    log.memory.push(statuses[1]);
  }
  return log;
}

describe('RedisReconnectRamp', () => {
  it('decides exactly like the memory ramp on the same clock: takes, bookings, growth, cuts, pauses, restarts', async () => {
    const { redis: fromRedis, memory: fromMemory } = await sideBySide(
      await client(redis.url),
      `${redis.prefix}same`,
      400,
    );
    expect(fromRedis).toEqual(fromMemory);
    // The history went through every rule.
    const statuses = fromRedis.filter((x): x is RampStatus => typeof x === 'object' && x !== null && 'ratePerSec' in x);
    const rates = new Set(statuses.map((s) => s.ratePerSec));
    expect(Math.max(...rates)).toBeGreaterThan(RULES.ratePerSec as number);
    expect(Math.min(...rates)).toBeLessThan(RULES.ratePerSec as number);
    expect(statuses.some((s) => s.pausedUntil > 0)).toBe(true);
    const decisions = fromRedis.filter(
      (x): x is RampDecision => typeof x === 'object' && x !== null && 'admitted' in x,
    );
    expect(decisions.filter((d) => d.admitted && d.delayMs > 0).length).toBeGreaterThan(5);
    expect(decisions.filter((d) => !d.admitted).length).toBeGreaterThan(5);
  });

  it('decides exactly like the memory ramp without slow start (increaseFactor 1: linear growth)', async () => {
    const linear = { ...RULES, increaseFactor: 1 };
    const { redis: fromRedis, memory: fromMemory } = await sideBySide(
      await client(redis.url),
      `${redis.prefix}linear`,
      400,
      linear,
    );
    expect(fromRedis).toEqual(fromMemory);
    const rates = fromRedis
      .filter((x): x is RampStatus => typeof x === 'object' && x !== null && 'ratePerSec' in x)
      .map((s) => s.ratePerSec);
    // It grew, and each growth was one step (to 3 decimals) or a restart to the starting rate, never a multiple.
    expect(Math.max(...rates)).toBeGreaterThan(RULES.ratePerSec as number);
    const growths = rates.flatMap((r, i) => (i > 0 && r > (rates[i - 1] as number) ? [[rates[i - 1], r]] : []));
    expect(growths.length).toBeGreaterThan(3);
    for (const [from, to] of growths as [number, number][]) {
      if (to !== RULES.ratePerSec) expect(Math.round((to - from) * 1000) / 1000).toBe(RULES.increaseStepPerSec);
    }
  });

  it('decides exactly like the memory ramp on a Redis Cluster, its one key in the breaker slot', async () => {
    const c = clusterClient();
    const { redis: fromRedis, memory: fromMemory } = await sideBySide(c, 'bwtest', 150);
    expect(fromRedis).toEqual(fromMemory);
    const owner = await cluster.nodeForKey('bwtest:{pusher}:state');
    const direct = await client(owner.url);
    expect(await direct.exists('bwtest:{pusher}:ramp')).toBe(1);
  });

  it('admits no more than the burst and the rate when three pods ask at once (one atomic script)', async () => {
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

  it('cuts the rate once when three pods report the same overload at once (the epoch fences the rest)', async () => {
    let now = 1_700_000_000_000;
    const prefix = `${redis.prefix}cut`;
    const connections = await Promise.all([0, 1, 2].map(() => client(redis.url)));
    const registry = new Registry();
    const pods = connections.map(
      (c) =>
        new RedisReconnectRamp({
          client: c,
          name: 'pusher',
          prefix,
          ratePerSec: 80,
          burst: 10,
          registry,
          clock: () => now,
        }),
    );
    const admissions = (await Promise.all(pods.map((pod) => pod.take()))) as RampAdmission[];
    expect(new Set(admissions.map((a) => a.epoch)).size).toBe(1);
    now += 200;
    pods.forEach((pod, i) => {
      for (let k = 0; k < 10; k++) pod.report(admissions[i] as RampAdmission, { outcome: 'overload' });
    });
    await Promise.all(pods.map((pod) => pod.flush()));
    // Whichever pod's script ran first cut 80 → 40 and began a new epoch; the others' reports
    // were about the old one: stale. Each pod now sees 40.
    expect(pods.map((pod) => pod.status.ratePerSec)).toEqual([40, 40, 40]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('breakwater_ramp_adjustments_total{ramp="pusher",direction="decrease"} 1');
    expect(metrics).toContain('breakwater_ramp_feedback_total{ramp="pusher",kind="overload"} 30');
  });

  it('hears timeouts of dials admitted before the rate grew, and cuts once for them (an increase fences nothing)', async () => {
    let now = 1_700_000_000_000;
    const t0 = now;
    const prefix = `${redis.prefix}episode`;
    const ramp = new RedisReconnectRamp({
      client: await client(redis.url),
      name: 'pusher',
      prefix,
      ratePerSec: 10,
      burst: 5,
      intervalMs: 0,
      clock: () => now,
    });
    const admit = async () => {
      const d = await ramp.take();
      if (!d.admitted) throw new Error('expected an admission');
      return d;
    };
    const early = await Promise.all(Array.from({ length: 5 }, admit));
    for (let second = 1; second <= 2; second++) {
      const decisions = await Promise.all(Array.from({ length: 30 }, () => ramp.take()));
      for (const d of decisions) if (d.admitted) ramp.report(d, { outcome: 'success' });
      await ramp.flush();
      now = t0 + second * 1_000;
      ramp.report(await admit(), { outcome: 'success' });
      await ramp.flush();
    }
    expect(ramp.status.ratePerSec).toBe(40);
    for (const a of early) ramp.report(a, { outcome: 'failure' });
    await ramp.flush();
    now = t0 + 3_000;
    ramp.report(await admit(), { outcome: 'success' });
    await ramp.flush();
    expect(ramp.status).toMatchObject({ ratePerSec: 20, cutEpoch: t0 + 3_000 });
    expect(await ramp.take()).toMatchObject({ admitted: true, epoch: t0 + 3_000 });
    // More of the same wave, admitted before the cut: dropped by the pod, no second cut.
    for (const a of early) ramp.report(a, { outcome: 'failure' });
    await ramp.flush();
    now = t0 + 4_000;
    ramp.report(await admit(), { outcome: 'success' });
    await ramp.flush();
    expect(ramp.status.ratePerSec).toBe(20);
  });

  it('sends a pod’s sessions as one script call: 3 pods × 300 takes and 300 reports, 6 calls', async () => {
    const server = await startRedis();
    const admin = await client(server.url);
    const now = 1_700_000_000_000;
    const pods = await Promise.all(
      [0, 1, 2].map(
        async () =>
          new RedisReconnectRamp({
            client: await client(server.url),
            name: 'pusher',
            burst: 1_000, // every take admitted, so every pod has reports to send
            clock: () => now,
          }),
      ),
    );
    await pods[0]?.take(); // load the script, so EVALSHA → NOSCRIPT → EVAL does not count twice below
    await admin.config('RESETSTAT');
    const decisions = await Promise.all(pods.map((pod) => Promise.all(Array.from({ length: 300 }, () => pod.take()))));
    pods.forEach((pod, i) => {
      for (const d of decisions[i] ?? []) if (d.admitted) pod.report(d, { outcome: 'success' });
    });
    await Promise.all(pods.map((pod) => pod.flush()));
    expect(decisions.flat().filter((d) => d.admitted)).toHaveLength(900);
    const stats = parseCommandStats(await admin.info('commandstats'));
    expect((stats.evalsha ?? 0) + (stats.eval ?? 0)).toBe(6);
    await server.stop();
  });

  it('runs on Redis TIME by default, with one hash-tagged key that has a TTL, refreshed by feedback', async () => {
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
    // The TTL outlives a full refill at the floor (3,000 s here), so expiry grants nothing a full bucket would not.
    expect(await c.pttl(ramp.key)).toBeGreaterThan(3_000_000);
    await c.pexpire(ramp.key, 5_000);
    ramp.report(decisions[0] as RampAdmission, { outcome: 'success' });
    await ramp.flush();
    expect(await c.pttl(ramp.key)).toBeGreaterThan(3_000_000);
    expect(await c.keys(`${redis.prefix}time*`)).toEqual([ramp.key]);
  });

  it('reads a ramp an older version wrote (tokens and at only) and takes it over', async () => {
    const c = await client(redis.url);
    const now = 1_700_000_000_000;
    const ramp = new RedisReconnectRamp({
      client: c,
      name: 'pusher',
      prefix: `${redis.prefix}old`,
      ratePerSec: 10,
      burst: 5,
      clock: () => now,
    });
    await c.hset(ramp.key, 'tokens', '2000000', 'at', String(now));
    await c.pexpire(ramp.key, 60_000);
    expect((await Promise.all([ramp.take(), ramp.take(), ramp.take()])).map((d) => d.admitted && d.delayMs)).toEqual([
      0, 0, 100,
    ]);
    expect(await c.hget(ramp.key, 'rate')).toBe('10000');
  });

  it('maps bad input and a dead Redis to typed errors', async () => {
    const server = await startRedis();
    const c = await client(server.url);
    const ramp = new RedisReconnectRamp({ client: c, name: 'pusher', prefix: 'bwtest', burst: 2 });
    await expect(ramp.take(3)).rejects.toSatisfy(isInvalidArgumentError);
    const admission = await ramp.take();
    expect(admission.admitted).toBe(true);
    expect(() => ramp.report(admission as RampAdmission, { outcome: 'meh' as never })).toThrow(
      expect.objectContaining({ argument: 'feedback.outcome' }),
    );
    await server.kill();
    await expect(ramp.take()).rejects.toSatisfy(isStoreUnavailableError);
    ramp.report(admission as RampAdmission, { outcome: 'failure' }); // no I/O here, no throw
    await ramp.flush(); // lost with the exchange that failed; nothing thrown
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
      { client: c, name: 'pusher', ratePerSec: 10, minRatePerSec: 20 },
      { client: c, name: 'pusher', decreaseFactor: 0 },
      { client: c, name: 'pusher', intervalMs: -1 },
      { client: c, name: 'pusher', registry: {} as never },
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
      'options.minRatePerSec',
      'options.decreaseFactor',
      'options.intervalMs',
      'options.registry',
      'options.clock',
      'options.rate',
    ]);
  });
});

function parseCommandStats(info: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) stats[m[1] as string] = Number(m[2]);
  return stats;
}
