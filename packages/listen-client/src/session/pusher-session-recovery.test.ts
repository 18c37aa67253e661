import { createClusterBreaker, MemoryBreakerStore, MemoryReconnectRamp } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { FakeDialer } from '../testing/fake-dialer.js';
import { capturingLogger, harness } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';

// Degraded sessions, half-open probes and the reconnect ramp, with the default
// numbers on a manual clock: assertions are on sequences and counts.

describe('PusherSession: first connects through the ramp', () => {
  it('pods restarting together: first connects are admitted by the ramp, later ones at their booked slot', async () => {
    const clock = new ManualScheduler();
    const dialer = new FakeDialer();
    dialer.mode = 'accept';
    const breaker = new FakeBreaker();
    // Slots booked up to 10 min ahead, so every session is given one.
    const ramp = new MemoryReconnectRamp({ ratePerSec: 1, burst: 2, maxWaitMs: 600_000, clock: () => clock.now() });
    let asked = 0;
    const counted = {
      take: () => {
        asked++;
        return ramp.take();
      },
    };
    const sessions = Array.from({ length: 5 }, () => harness({ clock, breaker, dialer, ramp: counted }));
    await Promise.all(sessions.map((s) => s.session.start())); // each resolves at once: no clock moved
    expect(sessions.map((s) => s.session.state)).toEqual([
      'connected',
      'connected',
      'reconnect_backoff',
      'reconnect_backoff',
      'reconnect_backoff',
    ]);
    expect(sessions.map((s) => s.causes.at(-1))).toEqual([
      'connected',
      'connected',
      'ramp_wait',
      'ramp_wait',
      'ramp_wait',
    ]);
    await clock.advance(3_000);
    expect(sessions.map((s) => s.dialTimes())).toEqual([[0], [0], [1_000], [2_000], [3_000]]);
    expect(sessions.every((s) => s.session.state === 'connected')).toBe(true);
    expect(asked).toBe(5); // each session asked once: a booked slot is not asked for again
  });

  it('start() resolves within rampTimeoutMs + connectTimeoutMs when the ramp never answers', async () => {
    const h = harness({ ramp: { take: () => new Promise(() => {}) }, rampTimeoutMs: 1_000, connectTimeoutMs: 3_000 });
    let resolved = false;
    void h.session.start().then(() => {
      resolved = true;
    });
    await h.advance(999);
    expect(h.dialer.dials).toHaveLength(0);
    await h.advance(1); // the ramp counts as unreachable: the attempt goes ahead
    expect(h.dialer.dials).toHaveLength(1);
    await h.advance(2_999); // and the dial has the whole connect timeout
    expect(h.dialer.last.aborted).toBe(false);
    expect(resolved).toBe(false);
    await h.advance(1);
    expect(h.dialer.last.aborted).toBe(true);
    expect(resolved).toBe(true);
    expect(h.session.state).toBe('degraded');
  });

  it('a slow ramp answer leaves the first dial its whole connect timeout (a loaded pod, a slow pusher)', async () => {
    const clock = new ManualScheduler();
    const ramp = new MemoryReconnectRamp({ clock: () => clock.now() });
    // The ramp answers after 900 ms (its pod's event loop is busy), within rampTimeoutMs.
    const slow = {
      take: () =>
        new Promise<Awaited<ReturnType<typeof ramp.take>>>((resolve) => {
          clock.setTimeout(() => resolve(ramp.take()), 900);
        }),
    };
    const h = harness({ clock, ramp: slow, rampTimeoutMs: 1_000, connectTimeoutMs: 3_000 });
    void h.session.start();
    await h.advance(900);
    expect(h.dialTimes()).toEqual([900]);
    // pusher answers the upgrade 2.5 s later: 3.4 s after start(), within the dial's 3 s.
    await h.advance(2_500);
    expect(h.dialer.last.aborted).toBe(false);
    h.dialer.last.accept();
    await h.advance(0);
    expect(h.session.state).toBe('connected');
  });

  it('without a ramp, a real ClusterBreaker gets one warning per process', async () => {
    const { logger, lines } = capturingLogger();
    const store = new MemoryBreakerStore();
    const breaker = await createClusterBreaker({ name: 'pusher', store, podId: 'pod-a' });
    try {
      for (let i = 0; i < 3; i++) harness({ breaker: breaker as never, logger });
      harness({ logger }); // a FakeBreaker: no warning
      // (Each test file is its own module graph, so this file's sessions are the process.)
      expect(lines.filter((l) => String(l.msg).includes('no reconnect ramp'))).toHaveLength(1);
    } finally {
      await breaker.close();
    }
  });
});

describe('PusherSession: degraded', () => {
  async function degraded(options: Parameters<typeof harness>[0] = {}) {
    const h = harness(options);
    h.dialer.mode = 'fail';
    await h.session.start();
    expect(h.session.state).toBe('degraded');
    return h;
  }

  it('probes once per 60 s cooldown while the breaker is closed', async () => {
    const h = await degraded();
    await h.advance(59_999);
    expect(h.dialer.dials).toHaveLength(1);
    await h.advance(1);
    expect(h.dialer.dials).toHaveLength(2);
    await h.advance(60_000 * 4);
    expect(h.dialTimes()).toEqual([0, 60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(h.states.slice(0, 6)).toEqual([
      'connecting',
      'degraded',
      'half_open_probe',
      'degraded',
      'half_open_probe',
      'degraded',
    ]);
  });

  it('a successful probe reconnects: degraded → half_open_probe → connected', async () => {
    const h = await degraded();
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.states.slice(-2)).toEqual(['half_open_probe', 'connected']);
    expect(h.causes.at(-1)).toBe('probe_succeeded');
  });

  it('makes no dial while the breaker is open, however long', async () => {
    const h = await degraded();
    h.breaker.set('open');
    await h.advance(3_600_000);
    expect(h.dialer.dials).toHaveLength(1);
    const rejections = await h.registry.getSingleMetricAsString('pusher_circuit_breaker_rejections_total');
    expect(rejections).toMatch(/pusher_circuit_breaker_rejections_total (\d+)/);
    expect(Number(/ (\d+)$/m.exec(rejections)?.[1])).toBeGreaterThanOrEqual(50);
  });

  /** Two degraded sessions of one pod (one FakeBreaker), the breaker open, pusher accepting again. */
  async function twoOfOnePod() {
    const clock = new ManualScheduler();
    const breaker = new FakeBreaker();
    const dialer = new FakeDialer();
    dialer.mode = 'fail';
    const a = harness({ clock, breaker, dialer });
    const b = harness({ clock, breaker, dialer });
    await Promise.all([a.session.start(), b.session.start()]);
    breaker.set('open');
    await clock.advance(1_000);
    dialer.mode = 'accept';
    return { clock, breaker, dialer, a, b };
  }

  it('in half_open, the lease holder probes and reports; two sessions of one pod never both dial', async () => {
    const { clock, breaker, dialer, a, b } = await twoOfOnePod();
    breaker.set('half_open');
    await clock.advance(0);
    // Both ask; the pod is granted one lease, and only its holder dials.
    expect([breaker.probesAsked, breaker.probesGranted]).toEqual([2, 1]);
    expect(dialer.dials).toHaveLength(3); // two first connects, one probe
    expect(breaker.reports).toEqual([]); // not yet: the connection must prove itself first
    await clock.advance(1_000);
    expect(breaker.reports).toEqual([{ token: 't2', outcome: 'success' }]);
    const states = [a.session.state, b.session.state].sort();
    expect(states).toEqual(['connected', 'degraded']);
    expect([...a.states, ...b.states]).toContain('half_open_probe');
  });

  it('a lease left unreported by a closed session keeps the pod’s other sessions from dialing until it expires', async () => {
    const { clock, breaker, dialer, a, b } = await twoOfOnePod();
    dialer.mode = 'manual';
    breaker.set('half_open');
    await clock.advance(0);
    const [holder, other] = a.session.state === 'half_open_probe' ? [a, b] : [b, a];
    expect(holder.session.status).toMatchObject({ value: 'half_open_probe', lease: true });
    expect(other.session.state).toBe('degraded');
    await holder.session.close(); // its probe is abandoned: the lease is never reported
    const dials = dialer.dials.length;
    await clock.advance(600_000);
    expect(dialer.dials).toHaveLength(dials);
    expect(breaker.probesGranted).toBe(1);
    expect(breaker.reports).toEqual([]);
    breaker.expireLease();
    dialer.mode = 'accept';
    await clock.advance(72_000); // the next probe, at most 60 s plus 20% away
    expect(breaker.probesGranted).toBe(2);
    expect(dialer.dials).toHaveLength(dials + 1);
    await clock.advance(1_000);
    expect(other.session.state).toBe('connected');
    expect(breaker.reports).toEqual([{ token: 't2.2', outcome: 'success' }]);
  });

  it('a lease probe that pusher accepts then closes (1011) reports one failure, never a success', async () => {
    const h = await degraded();
    h.dialer.mode = 'accept';
    const { successes, failures } = h.breaker;
    h.breaker.set('half_open');
    await h.advance(0);
    expect(h.session.state).toBe('connected');
    await h.advance(500);
    h.dialer.lastConnection.drop(1011);
    await h.advance(0);
    expect(h.breaker.reports).toEqual([{ token: 't1', outcome: 'failure' }]);
    // The lease's verdict is the report; the dial is not also recorded.
    expect([h.breaker.successes - successes, h.breaker.failures - failures]).toEqual([0, 0]);
    expect(h.session.state).toBe('degraded');
    await h.advance(10_000);
    expect(h.breaker.reports).toHaveLength(1);
  });

  it('close() during a half-open probe reports nothing: the lease expires, the breaker is not re-opened', async () => {
    const h = await degraded();
    h.dialer.mode = 'manual';
    h.breaker.set('half_open');
    await h.advance(0);
    expect(h.session.status).toMatchObject({ value: 'half_open_probe', lease: true });
    await h.session.close();
    expect(h.dialer.last.aborted).toBe(true);
    await h.advance(60_000);
    expect(h.breaker.reports).toEqual([]);
  });

  it('close() while a lease probe is proving itself reports nothing', async () => {
    const h = await degraded();
    h.dialer.mode = 'accept';
    h.breaker.set('half_open');
    await h.advance(500);
    expect(h.session.state).toBe('connected');
    await h.session.close();
    await h.advance(60_000);
    expect(h.breaker.reports).toEqual([]);
  });

  it('a failed lease probe reports failure and stays degraded', async () => {
    const h = await degraded();
    h.breaker.set('half_open');
    await h.advance(0);
    expect(h.breaker.reports).toEqual([{ token: 't1', outcome: 'failure' }]);
    expect(h.session.state).toBe('degraded');
    expect(h.session.status).toMatchObject({ failures: 2 });
  });

  it('in half_open without the lease, it does not dial', async () => {
    const h = await degraded();
    h.breaker.grantProbes = false;
    h.breaker.set('half_open');
    await h.advance(600_000);
    expect(h.dialer.dials).toHaveLength(1);
    expect(h.breaker.probesAsked).toBeGreaterThanOrEqual(1);
  });

  it('in half_open without the lease, asks again after leaseRetryMs: a dead holder’s lease lapses with no transition', async () => {
    const h = await degraded();
    h.breaker.grantProbes = false; // another pod holds the lease …
    h.breaker.set('half_open');
    await h.advance(0);
    expect(h.breaker.probesAsked).toBe(1);
    h.breaker.grantProbes = true; // … and dies: its lease lapses, the breaker stays half_open
    await h.advance(9_999);
    expect(h.dialer.dials).toHaveLength(1);
    await h.advance(1);
    expect(h.breaker.probesAsked).toBe(2);
    expect(h.dialTimes()).toEqual([0, 10_000]);
    expect(h.breaker.reports).toEqual([{ token: 't1', outcome: 'failure' }]);
  });

  it('asks for the lease no more often than degradedProbeIntervalMs when that is shorter', async () => {
    const h = await degraded({ degradedProbeIntervalMs: 2_000 });
    h.breaker.grantProbes = false;
    h.breaker.set('half_open');
    await h.advance(10_000);
    expect(h.breaker.probesAsked).toBe(6); // at 0, 2, 4, 6, 8 and 10 s
  });

  it('when the breaker closes, sessions reconnect spread over recoverySpreadMs', async () => {
    const clock = new ManualScheduler();
    const breaker = new FakeBreaker();
    const dialer = new FakeDialer();
    dialer.mode = 'fail';
    const randoms = [0.1, 0.5, 0.9];
    const sessions = randoms.map((r) => harness({ clock, breaker, dialer, random: () => r }));
    for (const s of sessions) await s.session.start();
    breaker.set('open');
    await clock.advance(1_000);
    dialer.mode = 'accept';
    breaker.set('closed');
    await clock.advance(10_000);
    const recoveryDials = sessions.map((s) => (s.dialTimes()[1] ?? Number.NaN) - 1_000);
    expect(recoveryDials).toEqual([1_000, 5_000, 9_000]);
    expect(sessions.map((s) => s.session.state)).toEqual(['connected', 'connected', 'connected']);
  });

  it('recovery goes through the reconnect ramp: no more dials than tokens', async () => {
    const clock = new ManualScheduler();
    const breaker = new FakeBreaker();
    const dialer = new FakeDialer();
    dialer.mode = 'fail';
    // A fixed rate (the floor and the ceiling are the rate) with slots booked far ahead.
    const ramp = new MemoryReconnectRamp({
      ratePerSec: 1,
      minRatePerSec: 1,
      maxRatePerSec: 1,
      burst: 2,
      maxWaitMs: 600_000,
      clock: () => clock.now(),
    });
    const sessions = Array.from({ length: 10 }, () => harness({ clock, breaker, dialer, ramp, recoverySpreadMs: 0 }));
    breaker.set('open'); // started during the outage: degraded at once, no dial, no token taken
    for (const s of sessions) await s.session.start();
    expect(sessions.every((s) => s.session.state === 'degraded')).toBe(true);
    await clock.advance(1_000);
    dialer.mode = 'accept';
    const before = dialer.dials.length;
    breaker.set('closed');
    await clock.advance(0);
    const admitted: number[] = [];
    for (let second = 0; second <= 8; second++) {
      admitted.push(dialer.dials.length - before);
      await clock.advance(1_000);
    }
    // burst 2 at once, then at most 1 a second.
    for (const [second, n] of admitted.entries()) expect(n).toBeLessThanOrEqual(2 + second);
    expect(admitted[0]).toBe(2);
    await clock.advance(60_000);
    expect(sessions.every((s) => s.session.state === 'connected')).toBe(true);
    expect(dialer.dials.length - before).toBe(10);
  });

  it('an unreachable ramp admits (the breaker still gates) and is counted', async () => {
    const h = await degraded({ ramp: { take: () => Promise.reject(new Error('redis down')) } });
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.session.state).toBe('connected');
    // Once for the first connect, once for the probe.
    expect(await h.registry.getSingleMetricAsString('pusher_ramp_decisions_total')).toContain('result="error"} 2');
  });

  it('a ramp that never answers times out after rampTimeoutMs and admits', async () => {
    const h = harness({ ramp: { take: () => new Promise(() => {}) } });
    h.dialer.mode = 'fail';
    const started = h.session.start();
    await h.advance(1_000); // the first connect's ramp deadline, then its dial
    await started;
    expect(h.session.state).toBe('degraded');
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.session.state).toBe('degraded');
    await h.advance(1_000);
    expect(h.session.state).toBe('connected');
  });
});
