import { RedisReconnectRamp } from '@breakwater/breaker-core';
import { ManualScheduler } from '@breakwater/listen-client/testing';
import { PusherStandIn } from '@breakwater/pusher-stand-in';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { addSession, DialLog, type Pod, pumpUntil, startPod, waitFor } from './support.js';

// 100 sessions on 3 pods, each pod with its own real ClusterBreaker on one real
// Redis, against the pusher stand-in over real sockets. The breaker runs in real
// time (cooldown 1.5 s); the sessions' own timers on one manual clock. Every
// assertion is on counts and on the breaker state recorded at each real dial.

const SESSIONS = 100;
// A fixed rate (floor = ceiling): this test bounds dials by it. ramp-capacity.test.ts lets it adapt.
const RAMP = { ratePerSec: 5, minRatePerSec: 5, maxRatePerSec: 5, burst: 5 };

let redis: TestRedis;
let pusher: PusherStandIn;
const pods: Pod[] = [];
const clients: Redis[] = [];
const clock = new ManualScheduler();
const dials = new DialLog();

beforeAll(async () => {
  redis = await acquireRedis('listen-fleet');
  pusher = await PusherStandIn.start();
  const prefix = redis.prefix.replace(/:$/, '');
  for (let p = 0; p < 3; p++) {
    const pod = await startPod(`pod-${p}`, redis.url, prefix);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    const ramp = new RedisReconnectRamp({ client, name: 'pusher', prefix, ...RAMP, clock: () => clock.now() });
    pods.push(pod);
    for (let i = p; i < SESSIONS; i += 3) {
      addSession(pod, pusher.url, clock, dials, { ramp, pingIntervalMs: 3_600_000, heartbeatIntervalMs: 3_600_000 });
    }
  }
});

afterAll(async () => {
  for (const pod of pods) {
    await Promise.all(pod.sessions.map((s) => s.close()));
    await pod.breaker.close();
  }
  for (const c of clients) c.disconnect();
  await pusher.close();
  await redis.release();
});

const sessions = () => pods.flatMap((p) => p.sessions);
const count = (state: string) => sessions().filter((s) => s.state === state).length;

describe('a fleet of 100 sessions on 3 breaker-sharing pods', () => {
  it('trips together, dials only under the half-open lease (one per cooldown), and recovers within the ramp', async () => {
    // Healthy: every session connected, one dial each. First connects go through the
    // ramp too (pods starting together are a storm of their own): the burst at once,
    // the rest at the slots it booked for them.
    const firstDials: { elapsedMs: number; dials: number }[] = [];
    const t0 = clock.now();
    await Promise.all(sessions().map((s) => s.start()));
    expect(count('connected')).toBe(RAMP.burst);
    await pumpUntil(
      clock,
      dials,
      250,
      () => {
        firstDials.push({ elapsedMs: clock.now() - t0, dials: dials.length });
        return count('connected') === SESSIONS;
      },
      'every first connect',
    );
    for (const s of firstDials) {
      expect(s.dials).toBeLessThanOrEqual(RAMP.burst + Math.floor((RAMP.ratePerSec * s.elapsedMs) / 1_000));
    }
    expect(dials.length).toBe(SESSIONS);
    expect(pusher.stats().connections).toBe(SESSIONS);

    // pusher dies: every connection dropped, every new one refused.
    pusher.setFault({ kind: 'refuse' });
    const outageStart = dials.length;
    pusher.dropAll();
    await waitFor(() => pods.every((p) => p.breaker.state === 'open'), 'every pod to see the breaker open');
    expect(count('reconnect_backoff') + count('degraded')).toBe(SESSIONS);

    // Outage: the sessions' clock runs (backoffs, cooldown probes) while the breaker
    // opens and half-opens in real time, until two half-open probes have come round.
    await pumpUntil(clock, dials, 1_000, () => dials.length - outageStart >= 2, 'two half-open probes');
    const outage = dials.records.slice(outageStart);
    expect(outage.every((d) => d.state === 'half_open')).toBe(true);
    const perGeneration = new Map<number, number>();
    for (const d of outage) perGeneration.set(d.generation, (perGeneration.get(d.generation) ?? 0) + 1);
    expect([...perGeneration.values()].every((n) => n === 1)).toBe(true);
    expect(count('degraded') + count('half_open_probe')).toBe(SESSIONS);
    expect(pusher.stats().connections).toBe(SESSIONS); // nothing got through

    // pusher is back: the next lease holder's probe closes the breaker; the rest
    // come back spread by jitter and admitted by the cluster-wide ramp.
    pusher.setFault({ kind: 'none' });
    // Recovery is measured from the first pod to see the breaker close: its sessions
    // may start coming back while the others' pub/sub is still on its way.
    let closedAt: number | undefined;
    let recoveryStart = 0;
    const subs = pods.map((p) =>
      p.breaker.onStateChange((e) => {
        if (e.to !== 'closed' || closedAt !== undefined) return;
        closedAt = clock.now();
        recoveryStart = dials.length;
      }),
    );
    // The probe's connection must stay open probeConfirmMs (sessions' clock) before its
    // success is reported: pump that clock until the report closes the breaker.
    await pumpUntil(clock, dials, 250, () => closedAt !== undefined, 'the probe to close the breaker');
    for (const sub of subs) sub.dispose();
    const samples: { elapsedMs: number; dials: number }[] = [];
    await pumpUntil(
      clock,
      dials,
      250,
      () => {
        samples.push({ elapsedMs: clock.now() - (closedAt as number), dials: dials.length - recoveryStart });
        return count('connected') === SESSIONS;
      },
      'every session to reconnect',
    );
    for (const s of samples) {
      expect(s.dials).toBeLessThanOrEqual(RAMP.burst + Math.floor((RAMP.ratePerSec * s.elapsedMs) / 1_000));
    }
    const recovery = dials.records.slice(recoveryStart);
    expect(recovery.length).toBe(SESSIONS - 1); // the lease holder came back through its probe
    expect(recovery.every((d) => d.state === 'closed')).toBe(true);
    const lastSample = samples[samples.length - 1] as { elapsedMs: number };
    // It took the ramp's time, not a thundering second: 99 sessions at 5/s after a burst of 5.
    expect(lastSample.elapsedMs).toBeGreaterThanOrEqual(((SESSIONS - 1 - RAMP.burst) / RAMP.ratePerSec) * 1_000);
  });
});
