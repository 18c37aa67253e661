import { DEFAULT_RECONNECT_RAMP_OPTIONS, MemoryReconnectRamp } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { RAMP_BURST, replayRamp, scaledSettings } from './scenario.js';

describe('replayRamp', () => {
  it('starts at pusher’s cold capacity and grows linearly by its warm-up, never above it', () => {
    const capacity = { initialRate: 100, maxRate: 400, warmUpSeconds: 30 };
    const ramp = replayRamp(capacity);
    expect(ramp).toMatchObject({ ratePerSec: 100, increaseFactor: 1, increaseStepPerSec: 10, maxRatePerSec: 400 });
    // The fastest the ramp can go: one step per clean interval from the moment pusher is back.
    for (let t = 0; t <= 40; t++) {
      const steps = Math.floor((t * 1_000) / ramp.adjustIntervalMs);
      const fastest = Math.min(ramp.maxRatePerSec, ramp.ratePerSec + steps * ramp.increaseStepPerSec);
      const pusher = Math.min(capacity.maxRate, capacity.initialRate + (t / capacity.warmUpSeconds) * 300);
      expect(fastest).toBeLessThanOrEqual(pusher);
    }
  });

  it('rounds an uneven warm-up down, and a capacity without warm-up is its maximum from the start', () => {
    expect(replayRamp({ initialRate: 50, maxRate: 150, warmUpSeconds: 30 }).increaseStepPerSec).toBe(3.333);
    expect(replayRamp({ initialRate: 50, maxRate: 150, warmUpSeconds: 0 })).toMatchObject({
      ratePerSec: 150,
      increaseStepPerSec: 0,
    });
  });

  it('is production’s default ramp (slow start) against a pusher without a capacity', () => {
    const ramp = replayRamp(null);
    const d = DEFAULT_RECONNECT_RAMP_OPTIONS;
    expect(ramp).toMatchObject({
      ratePerSec: d.ratePerSec,
      increaseFactor: d.increaseFactor,
      increaseStepPerSec: d.increaseStepPerSec,
      burst: RAMP_BURST,
    });
  });

  it('gives options the ramp accepts at any time scale', () => {
    for (const capacity of [null, { initialRate: 7, maxRate: 31, warmUpSeconds: 13 }]) {
      for (const scale of [1, 2.5, 5, 100]) {
        expect(() => new MemoryReconnectRamp(scaledSettings(scale, replayRamp(capacity)).ramp)).not.toThrow();
      }
    }
  });
});
