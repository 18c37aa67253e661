import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { rampKeyTtlMs, resolveRampRules } from './ramp-rules.js';
import { DEFAULT_RECONNECT_RAMP_OPTIONS } from './reconnect-ramp.js';

describe('ramp rules', () => {
  it('defaults to a 50/s start between 5 and 500/s, doubling per clean second and halving on overload', () => {
    expect(resolveRampRules({})).toEqual(DEFAULT_RECONNECT_RAMP_OPTIONS);
    expect(DEFAULT_RECONNECT_RAMP_OPTIONS).toMatchObject({
      ratePerSec: 50,
      minRatePerSec: 5,
      maxRatePerSec: 500,
      burst: 50,
      maxWaitMs: 1_000,
      increaseFactor: 2,
      decreaseFactor: 0.5,
    });
  });

  it('derives the floor, the ceiling and the step from the starting rate: a decade each way', () => {
    expect(resolveRampRules({ ratePerSec: 2 })).toMatchObject({
      ratePerSec: 2,
      minRatePerSec: 0.2,
      maxRatePerSec: 20,
      increaseStepPerSec: 0.2,
    });
    expect(resolveRampRules({ ratePerSec: 0.001 })).toMatchObject({ minRatePerSec: 0.001, increaseStepPerSec: 0 });
    expect(resolveRampRules({ ratePerSec: 500_000 }).maxRatePerSec).toBe(1_000_000);
  });

  it('keeps rates to thousandths, the unit of the shared state', () => {
    expect(resolveRampRules({ ratePerSec: 3.5004, minRatePerSec: 1.0006 })).toMatchObject({
      ratePerSec: 3.5,
      minRatePerSec: 1.001,
    });
  });

  it('makes a fixed-rate ramp when the floor and the ceiling are the starting rate', () => {
    expect(resolveRampRules({ ratePerSec: 5, minRatePerSec: 5, maxRatePerSec: 5 })).toMatchObject({
      ratePerSec: 5,
      minRatePerSec: 5,
      maxRatePerSec: 5,
    });
  });

  it.each([
    [{ ratePerSec: 0 }, 'options.ratePerSec'],
    [{ ratePerSec: 0.0004 }, 'options.ratePerSec'],
    [{ ratePerSec: -1 }, 'options.ratePerSec'],
    [{ ratePerSec: Number.NaN }, 'options.ratePerSec'],
    [{ ratePerSec: '5' }, 'options.ratePerSec'],
    [{ ratePerSec: 10, minRatePerSec: 11 }, 'options.minRatePerSec'],
    [{ minRatePerSec: 0 }, 'options.minRatePerSec'],
    [{ ratePerSec: 10, maxRatePerSec: 9 }, 'options.maxRatePerSec'],
    [{ maxRatePerSec: 1_000_001 }, 'options.maxRatePerSec'],
    [{ burst: 0 }, 'options.burst'],
    [{ burst: 1.5 }, 'options.burst'],
    [{ maxWaitMs: -1 }, 'options.maxWaitMs'],
    [{ maxWaitMs: 3_600_001 }, 'options.maxWaitMs'],
    [{ minRetryAfterMs: -1 }, 'options.minRetryAfterMs'],
    [{ increaseFactor: 0.5 }, 'options.increaseFactor'],
    [{ increaseFactor: 11 }, 'options.increaseFactor'],
    [{ increaseStepPerSec: -1 }, 'options.increaseStepPerSec'],
    [{ decreaseFactor: 0 }, 'options.decreaseFactor'],
    [{ decreaseFactor: 1.1 }, 'options.decreaseFactor'],
    [{ failureRatio: 1.5 }, 'options.failureRatio'],
    [{ adjustIntervalMs: 5 }, 'options.adjustIntervalMs'],
    [{ maxPauseMs: 0.5 }, 'options.maxPauseMs'],
    [{ idleResetMs: 0 }, 'options.idleResetMs'],
  ])('rejects %o naming %s', (input, argument) => {
    let caught: unknown;
    try {
      resolveRampRules(input as never);
    } catch (err) {
      caught = err;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
    expect((caught as { argument: string }).argument).toBe(argument);
  });

  it('keeps the key past a pause, the booked slots and a full refill at the floor, and past the restart', () => {
    // 50 tokens at 5/s: 10 s, + 1 s booked + 30 s pause + 1 s margin.
    expect(rampKeyTtlMs(resolveRampRules({}))).toBe(60_000 + 1_000);
    expect(rampKeyTtlMs(resolveRampRules({ ratePerSec: 1, burst: 100 }))).toBe(1_000 + 1_000_000 + 30_000 + 1_000);
    expect(rampKeyTtlMs(resolveRampRules({ idleResetMs: 120_000 }))).toBe(121_000);
  });
});
