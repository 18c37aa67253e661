import type { ProbeLease } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { DialOutcome } from './dial-outcome.js';

// The one place that decides what the breaker hears of a dial, on its own.

const CONFIRM_MS = 1_000;

function outcome(lease: ProbeLease | null = null, confirmMs = CONFIRM_MS) {
  const breaker = new FakeBreaker();
  const clock = new ManualScheduler();
  const dial = new DialOutcome(breaker, clock, confirmMs, lease);
  const heard = () => ({ successes: breaker.successes, failures: breaker.failures, reports: breaker.reports });
  return { breaker, clock, dial, heard };
}

const LEASE: ProbeLease = { breaker: 'pusher', token: 't1', generation: 1, holder: 'pod-a', expiresAt: 0 };

describe('DialOutcome', () => {
  it('a connection that stays open confirmMs is one success, then an abnormal loss is a failure of its own', async () => {
    const { clock, dial, heard } = outcome();
    dial.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    await clock.advance(1);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
    expect(dial.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
    expect(dial.lost(true)).toBe(false);
    dial.abandon();
    expect(heard()).toEqual({ successes: 1, failures: 1, reports: [] });
  });

  it('a clean close after the confirm window is nothing', async () => {
    const { clock, dial, heard } = outcome();
    dial.opened();
    await clock.advance(CONFIRM_MS);
    expect(dial.lost(false)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('lost within the confirm window, even cleanly, is the dial’s one failure and never a success', async () => {
    const { clock, dial, heard } = outcome();
    dial.opened();
    await clock.advance(CONFIRM_MS - 1);
    expect(dial.lost(false)).toBe(true);
    await clock.advance(60_000);
    expect(dial.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
    expect(clock.pending).toBe(0);
  });

  it('a dial that never opened is one failure, however often it is told', () => {
    const { dial, heard } = outcome();
    dial.failed();
    dial.failed();
    dial.opened();
    expect(dial.lost(true)).toBe(false);
    dial.abandon();
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [] });
  });

  it('abandoned while dialing or proving itself, nothing is ever reported', async () => {
    for (const opened of [false, true]) {
      const { clock, dial, heard } = outcome(LEASE);
      if (opened) dial.opened();
      dial.abandon();
      await clock.advance(60_000);
      expect(dial.lost(true)).toBe(false);
      dial.failed();
      expect(heard()).toEqual({ successes: 0, failures: 0, reports: [] });
    }
  });

  it('abandoned after its success, a later abnormal loss records nothing', async () => {
    const { clock, dial, heard } = outcome();
    dial.opened();
    await clock.advance(CONFIRM_MS);
    dial.abandon();
    expect(dial.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });

  it('under a lease the verdict goes to reportProbe() only; a later abnormal loss is a recorded failure', async () => {
    const { clock, dial, heard } = outcome(LEASE);
    dial.opened();
    await clock.advance(CONFIRM_MS);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'success' }] });
    expect(dial.lost(true)).toBe(false);
    expect(heard()).toEqual({ successes: 0, failures: 1, reports: [{ token: 't1', outcome: 'success' }] });
  });

  it('a lease probe lost within the window reports one failure and records nothing', async () => {
    const { clock, dial, heard } = outcome(LEASE);
    dial.opened();
    await clock.advance(500);
    expect(dial.lost(true)).toBe(true);
    await clock.advance(0);
    expect(heard()).toEqual({ successes: 0, failures: 0, reports: [{ token: 't1', outcome: 'failure' }] });
  });

  it('probeConfirmMs 0: the handshake is the success', () => {
    const { dial, heard } = outcome(null, 0);
    dial.opened();
    expect(heard()).toEqual({ successes: 1, failures: 0, reports: [] });
  });
});
