import { type RampAdmission, type RampDecision, type RampFeedback, RedisReconnectRamp } from '@breakwater/breaker-core';
import { ManualScheduler } from '@breakwater/listen-client/testing';
import { type OverloadMode, PusherStandIn } from '@breakwater/pusher-stand-in';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { addSession, DialLog, type Pod, startPod, waitFor } from './support.js';

// 180 sessions on 3 pods start at once against a cold pusher stand-in: it takes 20 new
// handshakes a second, rising to 60 over 20 s (burst 5), and answers the excess with
// 503 + Retry-After: 1 (or accepts it and closes it with 1011). Each pod has its real
// ClusterBreaker and an adaptive RedisReconnectRamp on one real Redis; the sessions, the
// ramp (its Redis time) and the stand-in's capacity share one manual clock, moved only
// when no dial and no ramp call is under way. Assertions are on counts.

const PODS = 3;
const SESSIONS = 180;
const CAPACITY = { initialRate: 20, maxRate: 60, warmUpMs: 20_000, burst: 5, retryAfterSeconds: 1 };
// Starts at 5/s and may grow to 200/s: without feedback it would soon admit several times what pusher takes.
const RAMP = { ratePerSec: 5, minRatePerSec: 1, maxRatePerSec: 200, burst: 5, maxWaitMs: 500, increaseStepPerSec: 1 };

let redis: TestRedis;

beforeAll(async () => {
  redis = await acquireRedis('ramp-capacity');
});

afterAll(async () => {
  await redis.release();
});

/** The fleet: pods, their ramps, the sessions, the stand-in; everything on one manual clock. */
async function startFleet(overload: OverloadMode, prefix: string) {
  const clock = new ManualScheduler();
  const dials = new DialLog();
  const registry = new Registry();
  const pusher = await PusherStandIn.start({ capacity: { ...CAPACITY, overload }, clock: () => clock.now() });
  const pods: Pod[] = [];
  const ramps: RedisReconnectRamp[] = [];
  const clients: Redis[] = [];
  let asking = 0;
  for (let p = 0; p < PODS; p++) {
    const pod = await startPod(`pod-${p}`, redis.url, prefix);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    const ramp = new RedisReconnectRamp({
      client,
      name: 'pusher',
      prefix,
      ...RAMP,
      intervalMs: 0,
      registry,
      clock: () => clock.now(),
    });
    ramps.push(ramp);
    // The ramp as sessions see it, counting the questions still open.
    const counted = {
      take: async (cost?: number): Promise<RampDecision> => {
        asking++;
        try {
          return await ramp.take(cost);
        } finally {
          asking--;
        }
      },
      report: (admission: RampAdmission, feedback: RampFeedback) => ramp.report(admission, feedback),
    };
    pods.push(pod);
    for (let i = p; i < SESSIONS; i += PODS) {
      addSession(pod, pusher.url, clock, dials, {
        ramp: counted,
        pingIntervalMs: 3_600_000,
        heartbeatIntervalMs: 3_600_000,
      });
    }
  }
  const sessions = () => pods.flatMap((p) => p.sessions);
  const connected = () => sessions().filter((s) => s.state === 'connected').length;
  return {
    clock,
    pusher,
    pods,
    ramps,
    registry,
    sessions,
    connected,
    /**
     * Moves the shared clock in steps of at most `stepMs`, each only once no dial and no
     * ramp question is under way and every pod's feedback is in Redis; `sample` runs
     * after each step. Real time passes between steps; nothing is asserted on it.
     */
    async pumpUntil(stepMs: number, done: () => boolean, sample: () => void): Promise<void> {
      const deadline = Date.now() + 120_000;
      while (!done()) {
        if (Date.now() > deadline) expect.fail(`timed out: ${connected()} of ${SESSIONS} connected`);
        await waitFor(() => dials.inFlight === 0 && asking === 0, 'dials and ramp questions to settle');
        await Promise.all(ramps.map((r) => r.flush()));
        const next = clock.nextAt() ?? Number.POSITIVE_INFINITY;
        await clock.advance(Math.max(0, Math.min(stepMs, next - clock.now())));
        await new Promise((r) => setTimeout(r, 2));
        sample();
      }
    },
    async stop() {
      for (const pod of pods) {
        await Promise.all(pod.sessions.map((s) => s.close()));
        await pod.breaker.close();
      }
      for (const c of clients) c.disconnect();
      await pusher.close();
    },
  };
}

describe('the adaptive ramp against a cold pusher with a capacity', () => {
  it.each([
    ['http-503', 'overload'],
    ['close-1011', 'failure'],
  ] as const)(
    '%s: backs off on the %s and stays below the warming capacity, with no overload after the first episode',
    async (mode, kind) => {
      const fleet = await startFleet(mode, `${redis.prefix}${mode}`);
      try {
        const t0 = fleet.clock.now();
        await Promise.all(fleet.sessions().map((s) => s.start()));
        const samples: { at: number; rate: number; capacity: number; rejected: number }[] = [];
        await fleet.pumpUntil(
          50,
          () => fleet.connected() === SESSIONS,
          () => {
            const { capacity } = fleet.pusher.stats();
            samples.push({
              at: fleet.clock.now() - t0,
              rate: Math.max(...fleet.ramps.map((r) => r.status.ratePerSec)),
              capacity: capacity.rate ?? Number.POSITIVE_INFINITY,
              rejected: capacity.rejected[mode],
            });
          },
        );
        const stats = fleet.pusher.stats();
        const metrics = await fleet.registry.metrics();
        const count = (name: string, labels: string) =>
          Number(new RegExp(`^${name}\\{ramp="pusher"${labels}\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);

        // Every session got in, each through one handshake the capacity let through.
        expect(fleet.connected()).toBe(SESSIONS);
        expect(stats.capacity.accepted).toBe(SESSIONS);
        // It grew while dials succeeded (5/s would take 36 s) and was cut on what pusher answered.
        expect(count('breakwater_ramp_adjustments_total', ',direction="increase"')).toBeGreaterThanOrEqual(2);
        expect(count('breakwater_ramp_adjustments_total', ',direction="decrease"')).toBeGreaterThanOrEqual(1);
        expect(count('breakwater_ramp_feedback_total', `,kind="${kind}"`)).toBeGreaterThanOrEqual(1);
        if (mode === 'http-503') expect(count('breakwater_ramp_pauses_total', '')).toBeGreaterThanOrEqual(1);

        // Overload refusals: the first episode only, what the ramp had admitted at its peak
        // before pusher's answers reached it (at most one booking horizon of the peak rate,
        // plus a second of feedback), and none a second after the cut.
        const rejected = stats.capacity.rejected[mode];
        const peak = Math.max(...samples.map((s) => s.rate));
        expect(rejected).toBeGreaterThan(0);
        expect(rejected).toBeLessThanOrEqual(Math.ceil(peak * (RAMP.maxWaitMs / 1_000 + 1)));
        expect(rejected).toBeLessThan(SESSIONS / 10);
        const cut = samples.findIndex((s, i) => i > 0 && s.rate < (samples[i - 1] as { rate: number }).rate);
        expect(cut).toBeGreaterThan(0);
        const afterCut = samples.slice(cut);
        const settled = afterCut.find((s) => s.at >= (samples[cut] as { at: number }).at + 1_000);
        expect(settled).toBeDefined();
        expect(rejected - (settled as { rejected: number }).rejected).toBe(0);
        // From the cut on, the fleet's rate stays below what the warming pusher takes.
        expect(afterCut.filter((s) => s.rate > s.capacity)).toEqual([]);
        // A calm recovery for the breaker too.
        expect(fleet.pods.every((p) => p.breaker.state === 'closed')).toBe(true);
      } finally {
        await fleet.stop();
      }
    },
  );
});
