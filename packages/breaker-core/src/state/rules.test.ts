import { describe, expect, it } from 'vitest';
import { type BreakerConfigInput, resolveBreakerConfig } from '../config/breaker-config.js';
import { type BreakerRecord, createRecord } from './breaker-record.js';
import { acquireProbe, recordOutcomes, reportProbe, type Transition, tripRule } from './rules.js';

const T0 = 1_800_000_000_000;

function record(config: BreakerConfigInput = {}): BreakerRecord {
  return createRecord('pusher', resolveBreakerConfig(config), 'test');
}

describe('tripRule', () => {
  const defaults = resolveBreakerConfig();

  it('trips by count while the failures are at least minFailureRatio of the calls', () => {
    expect(tripRule(defaults, 19, 0)).toBeNull();
    expect(tripRule(defaults, 20, 0)).toBe('20 failures in window (of 20 calls)');
    expect(tripRule(defaults, 20, 20)).toBe('20 failures in window (of 40 calls)'); // exactly 50 %
    expect(tripRule(defaults, 20, 21)).toBeNull();
  });

  it('needs more failures as traffic grows: max(failureThreshold, minFailureRatio × calls)', () => {
    expect(tripRule(defaults, 20, 1_480)).toBeNull(); // a recovery wave of 1,500 with 20 slow connects
    expect(tripRule(defaults, 749, 751)).toBeNull();
    expect(tripRule(defaults, 750, 750)).not.toBeNull();
  });

  it('is the count alone with minFailureRatio 0, as before it existed', () => {
    const countOnly = resolveBreakerConfig({ minFailureRatio: 0 });
    expect(tripRule(countOnly, 20, 1_000_000)).toBe('20 failures in window (of 1000020 calls)');
    expect(tripRule(countOnly, 19, 0)).toBeNull();
  });

  it('needs every call failed with minFailureRatio 1', () => {
    const all = resolveBreakerConfig({ minFailureRatio: 1 });
    expect(tripRule(all, 50, 1)).toBeNull();
    expect(tripRule(all, 50, 0)).not.toBeNull();
  });

  it('keeps the optional rate rule on its own, below the failure count', () => {
    const config = resolveBreakerConfig({ failureThreshold: 1_000, failureRate: { threshold: 0.5, minimumCalls: 10 } });
    expect(tripRule(config, 5, 4)).toBeNull(); // 9 calls: below the minimum
    expect(tripRule(config, 5, 5)).toBe('failure rate 5/10 in window');
    expect(tripRule(config, 4, 6)).toBeNull();
  });

  it('decides a boundary in double arithmetic, as Lua does: 0.28 × 25 is 7.000000000000001', () => {
    const config = resolveBreakerConfig({ failureThreshold: 1, minFailureRatio: 0.28 });
    expect(tripRule(config, 7, 18)).toBeNull();
    expect(tripRule(config, 8, 17)).not.toBeNull();
    const below = resolveBreakerConfig({ failureThreshold: 1, minFailureRatio: 0.29 }); // 0.29 × 100 = 28.999999999999996
    expect(tripRule(below, 29, 71)).not.toBeNull();
    expect(tripRule(below, 28, 72)).toBeNull();
  });
});

describe('recordOutcomes', () => {
  it('does not trip a just-created breaker on a small share of a big connect wave', () => {
    const r = record();
    let now = T0;
    // A cold start: 1,500 first connects over 30 s, 2 % of them timing out.
    for (let second = 0; second < 30; second++, now += 1_000) {
      expect(recordOutcomes(r, now, `pod-${second % 30}`, 1, 49)).toEqual([]);
    }
    expect(r.auto).toBe('closed');
  });

  it('does not trip right after a close on a small share of the reconnect wave', () => {
    const r = record();
    recordOutcomes(r, T0, 'pod-a', 20, 0);
    expect(r.auto).toBe('open');
    const half = r.cooldownUntil as number;
    const out: Transition[] = [];
    const lease = acquireProbe(r, half, 'pod-a', out);
    if (!lease.granted) throw new Error('expected a lease');
    reportProbe(r, half, lease.lease.token, 'success', out);
    expect(r.auto).toBe('closed');
    // The ramp admits 50 a second; 1 in 50 is slow under CPU pressure.
    for (let i = 1; i <= 30; i++) expect(recordOutcomes(r, half + i * 1_000, 'pod-b', 1, 49)).toEqual([]);
    expect(r.auto).toBe('closed');
  });

  it('still trips at once in a real outage, even with the successes of a healthy window behind it', () => {
    const r = record();
    expect(recordOutcomes(r, T0, 'pod-a', 0, 150)).toEqual([]); // steady churn before the outage
    expect(recordOutcomes(r, T0 + 1_000, 'pod-a', 149, 0)).toEqual([]);
    const out = recordOutcomes(r, T0 + 1_100, 'pod-b', 1, 0); // 150 of 300
    expect(out).toEqual([expect.objectContaining({ action: 'trip', reason: '150 failures in window (of 300 calls)' })]);
  });

  it('trips on a serious partial degradation: most connects failing', () => {
    const r = record();
    let tripped = false;
    for (let i = 0; i < 10 && !tripped; i++) tripped = recordOutcomes(r, T0 + i * 1_000, 'pod-a', 6, 4).length > 0;
    expect(tripped).toBe(true);
    expect(r.auto).toBe('open');
  });

  it('escalates the cooldown per failed probe: 1 s, 2 s, then every 3 s', () => {
    const r = record();
    let now = T0;
    recordOutcomes(r, now, 'pod-a', 20, 0);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      waits.push((r.cooldownUntil as number) - now);
      now = r.cooldownUntil as number;
      const out: Transition[] = [];
      const lease = acquireProbe(r, now, 'pod-a', out);
      if (!lease.granted) throw new Error('expected a lease');
      reportProbe(r, now, lease.lease.token, 'failure', out);
    }
    expect(waits).toEqual([1_000, 2_000, 3_000, 3_000, 3_000, 3_000]);
  });

  it('costs ~110 probes in a 330 s outage (0.04 % of the old client), none further apart than 3 s', () => {
    const r = record();
    const outageEnds = T0 + 330_000;
    let now = T0;
    recordOutcomes(r, now, 'pod-a', 20, 0); // every pod tripped ~1 s into the outage: take the worst case, at once
    const probes: number[] = [];
    while ((r.cooldownUntil as number) < outageEnds) {
      now = r.cooldownUntil as number;
      const out: Transition[] = [];
      const lease = acquireProbe(r, now, 'pod-a', out);
      if (!lease.granted) throw new Error('expected a lease');
      reportProbe(r, now, lease.lease.token, 'failure', out); // refused at once: the most probes
      probes.push(now);
    }
    expect(probes.length).toBe(110); // at 1, 3 s, then every 3 s: 0.036–0.039 % of the old client's 280,000–307,000 dials
    const gaps = probes.map((t, i) => t - (probes[i - 1] ?? T0));
    expect(Math.max(...gaps)).toBe(3_000); // pusher back at any moment: the next probe within 3 s
  });
});
