import { describe, expect, it } from 'vitest';
import { breakerFacts, viewBreaker } from './breaker-view.js';
import { formatRemaining, formatSeconds, isNewer, parseTtlSeconds, stateLabel, storeNow } from './format.js';
import type { BreakerSnapshot } from './types.d.ts';

const T = Date.UTC(2026, 0, 31, 14, 5, 11);

function snapshot(over: Partial<BreakerSnapshot> = {}): BreakerSnapshot {
  return {
    name: 'pusher',
    state: 'closed',
    automaticState: 'closed',
    generation: 3,
    mode: 'enforce',
    window: { failures: 4, successes: 812, failingPods: 2 },
    openedAt: null,
    cooldownUntil: null,
    probeFailures: 0,
    halfOpenSuccesses: 0,
    probe: null,
    override: null,
    configHash: 'h',
    config: { windowMs: 30_000, failureThreshold: 20, cooldownMs: 1_000, mode: 'enforce' },
    at: T,
    ...over,
  };
}

describe('format', () => {
  it('reads a TTL as the CLI does', () => {
    expect(parseTtlSeconds('90')).toBe(90);
    expect(parseTtlSeconds(' 15m ')).toBe(900);
    expect(parseTtlSeconds('1h30m')).toBe(5_400);
    expect(parseTtlSeconds('1D')).toBe(86_400);
    for (const bad of ['', '15 m', '1.5h', '-10', 'soon', '15mm']) expect(parseTtlSeconds(bad), bad).toBeUndefined();
  });

  it('counts down to the second, never showing 0s before the deadline', () => {
    expect(formatRemaining(1)).toBe('1s');
    expect(formatRemaining(9_001)).toBe('10s');
    expect(formatRemaining(245_000)).toBe('4m 05s');
    expect(formatRemaining(3_725_000)).toBe('1h 02m');
    expect(formatRemaining(0)).toBe('due');
    expect(formatSeconds(5_400)).toBe('1h 30m');
    expect(stateLabel('half_open')).toBe('half-open');
    expect(stateLabel('forced_closed')).toBe('forced closed');
  });

  it('reads the store clock from the snapshot, not from the browser clock', () => {
    // The snapshot was taken at T on the store's clock and arrived 1500 ms ago on the page's.
    expect(storeNow({ at: T }, 10_000, 11_500)).toBe(T + 1_500);
  });

  it('keeps the newer of two snapshots: generation first, then time', () => {
    expect(isNewer({ generation: 4, at: T - 1 }, { generation: 3, at: T })).toBe(true);
    expect(isNewer({ generation: 3, at: T + 1 }, { generation: 4, at: T })).toBe(false);
    expect(isNewer({ generation: 3, at: T + 1 }, { generation: 3, at: T })).toBe(true);
    expect(isNewer({ generation: 3, at: T }, undefined)).toBe(true);
  });
});

describe('viewBreaker', () => {
  it('says what an override, a cooldown and a probe lease leave, on the store clock', () => {
    const b = snapshot({
      state: 'forced_open',
      automaticState: 'open',
      cooldownUntil: T + 4_000,
      probe: { holder: 'pod-7', expiresAt: T + 2_500 },
      override: { mode: 'forced_open', reason: '<b>INC-9</b>', actor: 'olga', setAt: T, expiresAt: T + 900_000 },
    });
    expect(viewBreaker(b, T + 1_000)).toEqual({
      state: 'forced open',
      automatic: 'automatic: open',
      window: '4 failed / 812 ok',
      failingPods: '2',
      probe: 'pod-7, 2s',
      cooldown: '3s',
      override: 'forced open by olga, 14m 59s left',
      reason: '<b>INC-9</b>',
      nextDeadline: T + 2_500,
    });
    expect(viewBreaker(b, T + 900_000).override).toBe('forced open by olga, expiring');
    expect(breakerFacts(b, T)).toContainEqual(['Override reason', '<b>INC-9</b>']);
  });

  it('says automatic, and none, when nothing is pending', () => {
    const v = viewBreaker(snapshot(), T);
    expect([v.override, v.cooldown, v.probe, v.nextDeadline]).toEqual(['automatic', 'none', 'none', null]);
  });
});
