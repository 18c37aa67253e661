import type { ProbeLease } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { DialVerdict } from './dial-verdict.js';

// The one place that decides what the breaker hears of a dial, on its own.

const CONFIRM_MS = 1_000;

function setup(lease: ProbeLease | null = null, confirmMs = CONFIRM_MS) {
  const breaker = new FakeBreaker();
  const clock = new ManualScheduler();
  const verdict = new DialVerdict(breaker, clock, confirmMs, lease);
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
    expect(verdict.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
    expect(verdict.lost(true)).toBe(false);
    verdict.abandon();
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
  });

  it('a clean close after the confirm window is nothing', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    expect(verdict.lost(false)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('lost within the confirm window, even cleanly, is the dial’s one failure and never a success', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(verdict.lost(false)).toBe(true);
    await clock.advance(60_000);
    expect(verdict.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
    expect(clock.pending).toBe(0);
  });

  it('a dial that never opened is one failure, however often it is told', () => {
    const { verdict, heard } = setup();
    verdict.failed();
    verdict.failed();
    verdict.opened();
    expect(verdict.lost(true)).toBe(false);
    verdict.abandon();
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
  });

  it('abandoned while dialing or proving itself, nothing is ever reported', async () => {
    for (const opened of [false, true]) {
      const { clock, verdict, heard } = setup(LEASE);
      if (opened) verdict.opened();
      verdict.abandon();
      await clock.advance(60_000);
      expect(verdict.lost(true)).toBe(false);
      verdict.failed();
      expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    }
  });

  it('abandoned after its success, a later abnormal loss records nothing', async () => {
    const { clock, verdict, heard } = setup();
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    verdict.abandon();
    expect(verdict.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('under a lease the verdict goes to reportProbe() only; a later abnormal loss is a recorded failure', async () => {
    const { clock, verdict, heard } = setup(LEASE);
    verdict.opened();
    await clock.advance(CONFIRM_MS);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'success' }] });
    expect(verdict.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [{ token: 't1', outcome: 'success' }] });
  });

  it('a lease probe lost within the window reports one failure and records nothing', async () => {
    const { clock, verdict, heard } = setup(LEASE);
    verdict.opened();
    await clock.advance(500);
    expect(verdict.lost(true)).toBe(true);
    await clock.advance(0);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'failure' }] });
  });

  it('probeConfirmMs 0: the handshake is the success', () => {
    const { verdict, heard } = setup(null, 0);
    verdict.opened();
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });
});
