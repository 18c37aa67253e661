import { RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../../harness/index.js';
import { manualClock } from './manual-clock.js';

const PODS = 30;
const ROUNDS = 500;

let redis: TestRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await acquireRedis('lease-race');
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis.release();
});

it(`grants exactly one probe lease per half-open generation: ${PODS} pods racing, ${ROUNDS} rounds`, async () => {
  const clock = manualClock();
  const prefix = `${redis.prefix}race`;
  const pods = Array.from({ length: PODS }, (_, i) => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    return { id: `pod-${i}`, store: new RedisBreakerStore({ client, prefix, clock }) };
  });
  await Promise.all(
    pods.map((p) => p.store.register('pusher', { failureThreshold: 1, cooldownMs: 1_000, cooldownMultiplier: 1 })),
  );
  await Promise.all(pods.map((p) => p.store.snapshot('pusher'))); // every connection is up and scripts loaded

  const leader = pods[0] as (typeof pods)[number];
  await leader.store.record('pusher', leader.id, { failures: 1, successes: 0 });
  const winnersByGeneration = new Map<number, string[]>();
  let lastGeneration = 0;

  for (let round = 0; round < ROUNDS; round++) {
    clock.advance(1_000); // cooldown over: the next caller half-opens the breaker
    // Fire all 30 at once, in a different order each round, so different pods win.
    const replies = await Promise.all(shuffled(pods, round).map((p) => p.store.acquireProbe('pusher', p.id)));
    const granted = replies.filter((r) => r.granted);
    for (const r of granted) {
      const list = winnersByGeneration.get(r.lease.generation) ?? [];
      list.push(r.lease.holder);
      winnersByGeneration.set(r.lease.generation, list);
    }
    expect(granted, `round ${round}`).toHaveLength(1);
    const winner = granted[0];
    if (!winner?.granted) throw new Error('unreachable');
    expect(winner.lease.generation).toBeGreaterThan(lastGeneration);
    lastGeneration = winner.lease.generation;
    // Everyone else was told who holds it.
    for (const r of replies) if (!r.granted) expect(r).toMatchObject({ reason: 'held', holder: winner.lease.holder });
    const report = await leader.store.reportProbe(winner.lease, 'failure'); // re-open for the next round
    expect(report.accepted).toBe(true);
  }
  expect(winnersByGeneration.size).toBe(ROUNDS);
  for (const holders of winnersByGeneration.values()) expect(holders).toHaveLength(1);
  // The race is real: over 500 rounds, more than one pod wins at some point.
  expect(new Set([...winnersByGeneration.values()].flat()).size).toBeGreaterThan(1);
});

/** Deterministic Fisher–Yates shuffle seeded by the round number. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed * 2_654_435_761 + 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
