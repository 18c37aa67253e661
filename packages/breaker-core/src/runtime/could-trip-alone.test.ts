import { describe, expect, it } from 'vitest';
import { resolveBreakerConfig } from '../config/breaker-config.js';
import { couldTripAlone } from './could-trip-alone.js';

describe('couldTripAlone', () => {
  it('by count: the pending failures reach the threshold', () => {
    const config = resolveBreakerConfig({ failureThreshold: 5, minFailureRatio: 0 });
    expect(couldTripAlone(4, 0, config)).toBe(false);
    expect(couldTripAlone(5, 100, config)).toBe(true);
  });

  it('by count, only when the failures are also at least minFailureRatio of the pending calls', () => {
    const config = resolveBreakerConfig({ failureThreshold: 5, minFailureRatio: 0.5 });
    expect(couldTripAlone(5, 0, config)).toBe(true);
    expect(couldTripAlone(5, 5, config)).toBe(true); // 50 %
    expect(couldTripAlone(5, 6, config)).toBe(false); // a few failures among many successes
    expect(couldTripAlone(6, 6, config)).toBe(true);
  });

  it('by rate: only over at least minimumCalls pending calls', () => {
    const config = resolveBreakerConfig({ failureThreshold: 1_000, failureRate: { threshold: 0.5, minimumCalls: 10 } });
    expect(couldTripAlone(5, 4, config)).toBe(false); // 9 calls: below the minimum
    expect(couldTripAlone(5, 5, config)).toBe(true); // 50 % of 10
    expect(couldTripAlone(4, 6, config)).toBe(false); // 40 %
    expect(couldTripAlone(0, 10, config)).toBe(false);
  });

  it('never with a quorum above 1: one pod cannot be a quorum', () => {
    const config = resolveBreakerConfig({ failureThreshold: 5, quorum: 2 });
    expect(couldTripAlone(1_000, 0, config)).toBe(false);
  });
});
