import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MemoryReconnectRamp } from './memory-reconnect-ramp.js';

describe('MemoryReconnectRamp', () => {
  it('admits the burst, then the rate, on its injected clock', async () => {
    let now = 0;
    const ramp = new MemoryReconnectRamp({ ratePerSec: 2, burst: 2, clock: () => now });
    const admitted = async () => (await ramp.take()).admitted;
    expect([await admitted(), await admitted(), await admitted()]).toEqual([true, true, false]);
    expect(await ramp.take()).toEqual({ admitted: false, retryAfterMs: 500 });
    now = 500;
    expect([await admitted(), await admitted()]).toEqual([true, false]);
    // Over 10 s at 2/s, at most 20 more admissions, whatever the number of callers.
    let count = 0;
    for (let t = 500; t <= 10_500; t += 10) {
      now = t;
      for (let caller = 0; caller < 5; caller++) if (await admitted()) count++;
    }
    expect(count).toBe(20);
  });

  it('uses the documented defaults', () => {
    expect(new MemoryReconnectRamp().rules).toEqual({ ratePerSec: 50, burst: 50 });
  });

  it('rejects bad options and costs, naming them', async () => {
    const names: string[] = [];
    for (const make of [
      () => new MemoryReconnectRamp({ burst: -1 }),
      () => new MemoryReconnectRamp({ clock: 5 as never }),
      () => new MemoryReconnectRamp({ rate: 5 } as never),
    ]) {
      try {
        make();
      } catch (err) {
        if (isInvalidArgumentError(err)) names.push(err.argument);
      }
    }
    expect(names).toEqual(['options.burst', 'options.clock', 'options.rate']);
    await expect(new MemoryReconnectRamp({ burst: 2 }).take(3)).rejects.toMatchObject({ argument: 'cost' });
  });
});
