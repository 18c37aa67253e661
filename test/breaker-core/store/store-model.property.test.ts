import {
  type BreakerConfigInput,
  type BreakerSnapshot,
  type BreakerStore,
  MemoryBreakerStore,
  type ProbeLease,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../../harness/index.js';
import { manualClock } from './manual-clock.js';

/**
 * Random sequences of operations and time steps, run on MemoryBreakerStore and
 * on RedisBreakerStore with the same clock: both must give identical results,
 * and neither may violate the invariants (one lease per generation at a time,
 * generations strictly increasing, an unexpired override wins).
 */

const PODS = ['pod-a', 'pod-b', 'pod-c'] as const;

const configArb: fc.Arbitrary<BreakerConfigInput> = fc.record({
  windowMs: fc.constantFrom(10_000, 30_000),
  bucketMs: fc.constant(1_000),
  failureThreshold: fc.integer({ min: 1, max: 12 }),
  // 0.28 and 0.29: ratios whose products with small call counts land just off an integer in doubles.
  minFailureRatio: fc.constantFrom(0, 0.25, 0.28, 0.29, 0.5, 1),
  failureRate: fc.option(
    fc.record({ threshold: fc.constantFrom(0.25, 0.5, 1), minimumCalls: fc.integer({ min: 1, max: 20 }) }),
    { nil: null },
  ),
  quorum: fc.integer({ min: 1, max: 3 }),
  cooldownMs: fc.constantFrom(1_000, 5_000, 60_000),
  cooldownMultiplier: fc.constantFrom(1, 1.5, 2),
  // undefined: the adaptive default (3 s, or cooldownMs when longer).
  maxCooldownMs: fc.constantFrom(undefined, 120_000),
  cooldownJitter: fc.constantFrom(0, 0.3),
  probeLeaseMs: fc.constantFrom(1_000, 10_000),
  successThreshold: fc.integer({ min: 1, max: 3 }),
  mode: fc.constantFrom('enforce' as const, 'shadow' as const),
});

type Op =
  | { op: 'advance'; ms: number }
  | { op: 'record'; pod: number; failures: number; successes: number }
  | { op: 'snapshot' }
  | { op: 'acquire'; pod: number }
  | { op: 'report'; lease: number; outcome: 'success' | 'failure' }
  | { op: 'force'; mode: 'open' | 'close'; ttlMs: number }
  | { op: 'clear' }
  | { op: 'reset' }
  | { op: 'register'; drift: boolean }
  | { op: 'update'; minFailureRatio: number; cooldownMs: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.oneof(fc.constantFrom(0, 1, 999, 1_000, 10_000, 30_000, 60_000), fc.integer({ min: 0, max: 130_000 })),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('record' as const),
      pod: fc.integer({ min: 0, max: 2 }),
      failures: fc.integer({ min: 0, max: 8 }),
      successes: fc.integer({ min: 0, max: 12 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('snapshot' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('acquire' as const), pod: fc.integer({ min: 0, max: 2 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('report' as const),
      lease: fc.integer({ min: 0, max: 3 }),
      outcome: fc.constantFrom('success' as const, 'failure' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('force' as const),
      mode: fc.constantFrom('open' as const, 'close' as const),
      ttlMs: fc.integer({ min: 1_000, max: 90_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reset' as const) }) },
  // A pod (re)starting: the same rules, or drifted ones the store must report and not apply.
  { weight: 2, arbitrary: fc.record({ op: fc.constant('register' as const), drift: fc.boolean() }) },
  // An operator changing the rules for everyone mid-history.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('update' as const),
      minFailureRatio: fc.constantFrom(0, 0.28, 0.5, 0.75),
      cooldownMs: fc.constantFrom(1_000, 3_000),
    }),
  },
);

/**
 * A reply without its incarnation id: each store has its own, in snapshots (and
 * transitions) and at the start of lease tokens (cut to `<generation>.<sequence>`);
 * the rest must agree.
 */
function sameLife(reply: unknown): unknown {
  if (reply === undefined) return reply;
  return JSON.parse(JSON.stringify(reply), (key: string, value: unknown) => {
    if (key === 'incarnation') return undefined;
    if (key === 'token' && typeof value === 'string') return value.slice(value.indexOf('.') + 1);
    return value;
  });
}

let redis: TestRedis;
let client: Redis;
let run = 0;

beforeAll(async () => {
  redis = await acquireRedis('model');
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  client.disconnect();
  await redis.release();
});

it('MemoryBreakerStore and RedisBreakerStore agree on random histories, and keep the invariants', async () => {
  await fc.assert(
    fc.asyncProperty(configArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), async (config, ops) => {
      const clock = manualClock(1_800_000_000_000 + run * 7_777);
      const name = `model-${++run}`;
      const memory = new MemoryBreakerStore({ clock });
      const onRedis = new RedisBreakerStore({ client, prefix: `${redis.prefix}m`, clock });
      const stores: [BreakerStore, BreakerStore] = [memory, onRedis];
      const leases: [ProbeLease[], ProbeLease[]] = [[], []];
      const both = async <T>(f: (s: BreakerStore, i: 0 | 1) => Promise<T>): Promise<T> => {
        const [a, b] = await Promise.all([f(stores[0], 0), f(stores[1], 1)]);
        expect(sameLife(b)).toEqual(sameLife(a));
        return a;
      };

      await both((s) => s.register(name, config));
      let lastGeneration = 0;
      let current = config; // the stored rules: a (re)starting pod brings these, or drifted ones
      let override: { mode: string; expiresAt: number } | null = null;
      const liveLease = new Map<number, ProbeLease>(); // generation -> the lease live in it

      const check = (snap: BreakerSnapshot) => {
        expect(snap.generation).toBeGreaterThanOrEqual(lastGeneration);
        lastGeneration = snap.generation;
        if (override && override.expiresAt > clock()) expect(snap.state).toBe(override.mode);
        if (snap.override === null) override = null;
      };

      for (const op of ops) {
        switch (op.op) {
          case 'advance':
            clock.advance(op.ms);
            break;
          case 'record': {
            const r = await both((s) =>
              s.record(name, PODS[op.pod] as string, { failures: op.failures, successes: op.successes }),
            );
            for (const [i, t] of r.transitions.entries()) {
              if (i > 0) expect(t.generation).toBe((r.transitions[i - 1]?.generation ?? 0) + 1);
            }
            check(r.snapshot);
            break;
          }
          case 'snapshot':
            check(await both((s) => s.snapshot(name)));
            break;
          case 'acquire': {
            const r = await both(async (s, i) => {
              const reply = await s.acquireProbe(name, PODS[op.pod] as string);
              if (reply.granted) leases[i].push(reply.lease);
              return reply;
            });
            if (r.granted) {
              const other = liveLease.get(r.lease.generation);
              const stillLive = other && other.expiresAt > clock() && other.token !== r.lease.token;
              expect(stillLive, 'two live leases in one generation').toBeFalsy();
              liveLease.set(r.lease.generation, r.lease);
            }
            check(r.snapshot);
            break;
          }
          case 'report': {
            if (leases[0].length === 0) break;
            const index = op.lease % leases[0].length;
            const r = await both((s, i) => s.reportProbe(leases[i][index] as ProbeLease, op.outcome));
            if (r.accepted) liveLease.delete((leases[0][index] as ProbeLease).generation);
            check(r.snapshot);
            break;
          }
          case 'force': {
            const snap = await both((s) =>
              (op.mode === 'open' ? s.forceOpen : s.forceClose).call(s, name, {
                reason: 'model',
                actor: 'prop',
                ttlMs: op.ttlMs,
              }),
            );
            override = { mode: op.mode === 'open' ? 'forced_open' : 'forced_closed', expiresAt: clock() + op.ttlMs };
            check(snap);
            break;
          }
          case 'clear':
            override = null;
            check(await both((s) => s.clearOverride(name, { actor: 'prop' })));
            break;
          case 'reset':
            check(await both((s) => s.reset(name, { actor: 'prop', reason: 'model' })));
            break;
          case 'update': {
            // Without a cap, so the cap follows the new cooldown and the rules stay valid.
            const { maxCooldownMs: _cap, ...rest } = current;
            current = { ...rest, minFailureRatio: op.minFailureRatio, cooldownMs: op.cooldownMs };
            check(await both((s) => s.updateConfig(name, current, { actor: 'prop', reason: 'model' })));
            break;
          }
          case 'register': {
            const rules = op.drift ? { ...current, failureThreshold: (current.failureThreshold ?? 20) + 1 } : current;
            const r = await both((s) => s.register(name, rules));
            expect(r.configDrift).toBe(op.drift);
            check(r.snapshot);
            break;
          }
        }
      }
      // Same audit history, generations strictly increasing.
      const audits = await Promise.all(stores.map((s) => s.audit(name, { limit: 1_000 })));
      const strip = (a: (typeof audits)[number]) => a.map(({ id: _id, ...rest }) => rest);
      expect(strip(audits[1] ?? [])).toEqual(strip(audits[0] ?? []));
      const generations = (audits[0] ?? []).map((e) => e.generation).reverse();
      expect(generations).toEqual(generations.map((_, i) => i + 1));
    }),
    { numRuns: 300 },
  );
});
