import { describe, expect, it } from 'vitest';
import { resolveCapacity } from './capacity.js';
import { CapacityGate } from './capacity-gate.js';
import { MAX_CAPACITY_SECONDS } from './capacity-ledger.js';

const T0 = 1_800_000_000_000; // a whole second

function gateAt(start = T0) {
  const clock = { now: start };
  const gate = new CapacityGate(() => clock.now);
  return { clock, gate };
}

const none = () => 0;

describe('CapacityGate', () => {
  it('admits everything and counts nothing without a capacity', () => {
    const { gate } = gateAt();
    for (let i = 0; i < 1_000; i++) expect(gate.decide(none)).toEqual({ admitted: true });
    expect(gate.stats(0)).toMatchObject({ config: null, rate: null, tokens: null, accepted: 0, perSecond: [] });
  });

  it('refuses past the burst with the configured mode, and counts both per second', () => {
    const { clock, gate } = gateAt();
    gate.set(resolveCapacity({ initialRate: 10, burst: 2, overload: 'close-1011', retryAfterSeconds: 7 }));
    expect(gate.decide(none)).toEqual({ admitted: true });
    expect(gate.decide(none)).toEqual({ admitted: true });
    expect(gate.decide(none)).toEqual({ admitted: false, cause: 'rate', mode: 'close-1011', retryAfterSeconds: 7 });
    clock.now = T0 + 1_250;
    expect(gate.decide(none).admitted).toBe(true); // 1.25 s at ≥ 10/s: the bucket is full again
    const stats = gate.stats(0);
    expect(stats).toMatchObject({
      coldStarts: 1,
      accepted: 3,
      rejected: { 'http-503': 0, 'close-1011': 1, stall: 0 },
      rejectedBy: { rate: 1, sessions: 0 },
      firstRejectedAt: T0,
      lastRejectedAt: T0,
      warmingSince: T0,
    });
    expect(stats.perSecond).toEqual([
      { at: T0, rate: 10, accepted: 2, rejected: { 'http-503': 0, 'close-1011': 1, stall: 0 }, shed: 0 },
      { at: T0 + 1_000, rate: 10 + (390 * 1_250) / 30_000, accepted: 1, rejected: expect.anything(), shed: 0 },
    ]);
  });

  it('warms up: the rate in stats rises from initialRate to maxRate, and restarts cold when pusher comes back', () => {
    const { clock, gate } = gateAt();
    gate.set(resolveCapacity({}));
    const rate = () => gate.stats(0).rate;
    expect(rate()).toBe(100);
    clock.now = T0 + 15_000;
    expect(rate()).toBe(250);
    clock.now = T0 + 30_000;
    expect(rate()).toBe(400);
    clock.now = T0 + 90_000;
    expect(rate()).toBe(400);
    gate.restart();
    expect(gate.stats(0)).toMatchObject({ rate: 100, tokens: 50, warmingSince: T0 + 90_000, coldStarts: 2 });
    clock.now = T0 + 96_000;
    expect(rate()).toBe(160);
  });

  it('admits more a second as it warms: a handshake every ms sees ~100, then ~400 a second', () => {
    const { clock, gate } = gateAt();
    gate.set(resolveCapacity({ burst: 2 }));
    for (let t = 0; t < 40_000; t++) {
      clock.now = T0 + t;
      gate.decide(none);
    }
    const accepted = gate.stats(0).perSecond.map((s) => s.accepted);
    expect(accepted).toHaveLength(40);
    // Second k admits the area under the rate over it, 105 + 10k (the first also the full bucket, 2),
    // give or take the fraction of a token carried from one second into the next.
    expect(Math.abs((accepted[0] ?? 0) - 107)).toBeLessThanOrEqual(1);
    for (let k = 1; k < 30; k++) expect(Math.abs((accepted[k] ?? 0) - (105 + 10 * k))).toBeLessThanOrEqual(1);
    for (let k = 30; k < 40; k++) expect(accepted[k]).toBe(400);
    // In all: the bucket, 30 s warming (7,500) and 9.999 s warm (3,999.6).
    expect(gate.stats(0).accepted).toBe(2 + 7_500 + 3_999);
    expect(gate.stats(0).rejectedBy.rate).toBe(40_000 - (2 + 7_500 + 3_999));
  });

  it('refuses past maxSessions whatever the rate, without taking a token', () => {
    const { gate } = gateAt();
    gate.set(resolveCapacity({ burst: 1, maxSessions: 3, overload: 'stall' }));
    expect(gate.decide(() => 3)).toMatchObject({ admitted: false, cause: 'sessions', mode: 'stall' });
    expect(gate.decide(() => 2)).toEqual({ admitted: true }); // the token was still there
    expect(gate.stats(0)).toMatchObject({ rejectedBy: { rate: 0, sessions: 1 }, rejected: { stall: 1 } });
  });

  it('says how many open sessions are past maxSessions, and records them shed', () => {
    const { gate } = gateAt();
    expect(gate.excess(10)).toBe(0);
    gate.set(resolveCapacity({ maxSessions: 4 }));
    expect(gate.excess(3)).toBe(0);
    expect(gate.excess(10)).toBe(6);
    gate.shed(6);
    expect(gate.stats(0)).toMatchObject({ shed: 6, perSecond: [{ at: T0, shed: 6, accepted: 0, rate: 100 }] });
  });

  it('keeps counting across capacity changes; resetStats zeroes the counters, not the warm-up', () => {
    const { clock, gate } = gateAt();
    gate.set(resolveCapacity({ burst: 1 }));
    gate.decide(none);
    gate.decide(none);
    gate.set(null);
    expect(gate.decide(none)).toEqual({ admitted: true });
    expect(gate.stats(3)).toMatchObject({ config: null, accepted: 1, rejectedBy: { rate: 1 }, stalledNow: 3 });
    gate.set(resolveCapacity({}));
    clock.now = T0 + 10_000;
    gate.resetStats();
    expect(gate.stats(0)).toMatchObject({ coldStarts: 0, accepted: 0, firstRejectedAt: null, perSecond: [] });
    expect(gate.stats(0)).toMatchObject({ rate: 200, warmingSince: T0 });
  });

  it(`keeps the latest ${MAX_CAPACITY_SECONDS} seconds, and a clock that steps back counts in the latest`, () => {
    const { clock, gate } = gateAt();
    gate.set(resolveCapacity({ warmUpMs: 0 }));
    for (let s = 0; s < MAX_CAPACITY_SECONDS + 5; s++) {
      clock.now = T0 + s * 1_000;
      gate.decide(none);
    }
    clock.now = T0;
    gate.decide(none);
    const { perSecond, accepted } = gate.stats(0);
    expect(accepted).toBe(MAX_CAPACITY_SECONDS + 6);
    expect(perSecond).toHaveLength(MAX_CAPACITY_SECONDS);
    expect(perSecond[0]?.at).toBe(T0 + 5_000);
    expect(perSecond.at(-1)).toMatchObject({ at: T0 + (MAX_CAPACITY_SECONDS + 4) * 1_000, accepted: 2 });
  });
});
