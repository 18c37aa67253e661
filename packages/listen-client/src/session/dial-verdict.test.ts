import type { ProbeLease } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { DialVerdict } from './dial-verdict.js';

// The one place that decides what the breaker hears of a dial, on its own.

const CONFIRM_MS = 1_000;

function setup(lease: ProbeLease | null = null, confirmMs = CONFIRM_MS, excuseGoingAway = true) {
  const breaker = new FakeBreaker();
  const clock = new ManualScheduler();
  const verdict = new DialVerdict({ breaker, clock, confirmMs, lease, excuseGoingAway });
  const heard = () => ({ successes: breaker.successes, failures: breaker.failures, reports: breaker.reports });
  return { breaker, clock, verdict, heard };
}

const LEASE: ProbeLease = { breaker: 'pusher', token: 't1', generation: 1, holder: 'pod-a', expiresAt: 0 };

describe('DialVerdict', () => {
  it('a connection that stays open confirmMs is one success, then an abnormal loss is a failure of its own', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    await clock.advance(1);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    verdict.abandon();
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
  });

  it.each(['normal', 'going_away'] as const)('a clean close (%s) after the confirm window is nothing', async (end) => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    expect(verdict.proven).toBe(true);
    expect(verdict.lost(end)).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('lost within the confirm window by a 1000 close is the dial’s one failure and never a success', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(verdict.lost('normal')).toBe('failed');
    await clock.advance(60_000);
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
    expect(clock.pending).toBe(0);
    expect(verdict.proven).toBe(false);
  });

  it('a 1001 "going away" within the confirm window is excused: no verdict, now or later', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(verdict.lost('going_away')).toBe('excused');
    await clock.advance(60_000);
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    verdict.failed();
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    expect(clock.pending).toBe(0);
    expect(verdict.proven).toBe(false);
  });

  it('a 1001 within the window under a lease reports nothing: the lease is left to expire', async () => {
    const { clock, verdict, heard } = setup(LEASE);
    verdict.opened();
    await clock.advance(500);
    expect(verdict.lost('going_away')).toBe('excused');
    await clock.advance(60_000);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
  });

  it('a 1001 within the window is the dial’s failure when the excuse is used up', async () => {
    const { clock, verdict, heard } = setup(null, CONFIRM_MS, false);
    verdict.opened();
    await clock.advance(500);
    expect(verdict.lost('going_away')).toBe('failed');
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
  });

  it('with the excuse used up, a connection that proves itself is still a success and a later 1001 nothing', async () => {
    const { clock, verdict, heard } = setup(null, CONFIRM_MS, false);
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    expect(verdict.lost('going_away')).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('a dial that never opened is one failure, however often it is told', () => {
    const { verdict, heard } = setup();
    verdict.failed();
    verdict.failed();
    verdict.opened();
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    verdict.abandon();
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
  });

  it('abandoned while dialing or proving itself, nothing is ever reported', async () => {
    for (const opened of [false, true]) {
      const { clock, verdict, heard } = setup(LEASE);
      if (opened) verdict.opened();
      verdict.abandon();
      await clock.advance(60_000);
      expect(verdict.lost('abnormal')).toBe('after_verdict');
      verdict.failed();
      expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    }
  });

  it('abandoned after its success, a later abnormal loss records nothing', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    verdict.abandon();
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('under a lease the verdict goes to reportProbe() only; a later abnormal loss is a recorded failure', async () => {
    const { clock, verdict, heard } = setup(LEASE);
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'success' }] });
    expect(verdict.lost('abnormal')).toBe('after_verdict');
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [{ token: 't1', outcome: 'success' }] });
  });

  it('a lease probe lost within the window reports one failure and records nothing', async () => {
    const { clock, verdict, heard } = setup(LEASE);
    verdict.opened();
    await clock.advance(500);
    expect(verdict.lost('abnormal')).toBe('failed');
    await clock.advance(0);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'failure' }] });
  });

  it('probeConfirmMs 0: the handshake is the success', () => {
    const { verdict, heard } = setup(null, 0);
    verdict.opened();
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });
});

describe('DialVerdict → the ramp that admitted the dial', () => {
  const ADMISSION = { admitted: true as const, tokens: 0, delayMs: 0, epoch: 3 };

  function withRamp() {
    const told: unknown[] = [];
    const breaker = new FakeBreaker();
    const clock = new ManualScheduler();
    const ramp = { take: async () => ADMISSION, report: (_a: unknown, f: unknown) => told.push(f) };
    const verdict = new DialVerdict({
      breaker,
      clock,
      confirmMs: CONFIRM_MS,
      lease: null,
      excuseGoingAway: true,
      ramp: { ramp, admission: ADMISSION },
    });
    return { breaker, clock, verdict, told };
  }

  it('hears the one verdict the breaker hears: success once proven, failure when lost sooner', async () => {
    const ok = withRamp();
    ok.verdict.opened();
    await ok.clock.advance(CONFIRM_MS);
    ok.verdict.lost('abnormal'); // after the verdict: the breaker's failure, not the ramp's
    expect(ok.told).toEqual([{ outcome: 'success' }]);
    expect(ok.breaker.failures).toBe(1);
    const lost = withRamp();
    lost.verdict.opened();
    lost.verdict.lost('abnormal');
    expect(lost.told).toEqual([{ outcome: 'failure' }]);
  });

  it('hears an overload with its Retry-After, while the breaker hears a failure', () => {
    const { verdict, told, breaker } = withRamp();
    verdict.failed({ retryAfterMs: 5_000 });
    expect(told).toEqual([{ outcome: 'overload', retryAfterMs: 5_000 }]);
    expect(breaker.failures).toBe(1);
  });

  it('hears nothing of an excused 1001 or an abandoned dial', () => {
    const excused = withRamp();
    excused.verdict.opened();
    excused.verdict.lost('going_away');
    const abandoned = withRamp();
    abandoned.verdict.abandon();
    expect([...excused.told, ...abandoned.told]).toEqual([]);
  });
});
