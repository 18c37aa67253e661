import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MemoryReconnectRamp } from './memory-reconnect-ramp.js';

describe('MemoryReconnectRamp', () => {
  it('as a plain bucket admits the burst, then the rate, on its injected clock', async () => {
    let now = 0;
    const ramp = new MemoryReconnectRamp({ ratePerSec: 2, burst: 2, maxWaitMs: 0, clock: () => now });
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

  it('books later callers a slot each, so nobody asks twice and the rate holds', async () => {
    const ramp = new MemoryReconnectRamp({ ratePerSec: 2, burst: 2, maxWaitMs: 10_000, clock: () => 0 });
    const slots: number[] = [];
    for (let caller = 0; caller < 25; caller++) {
      const d = await ramp.take();
      if (d.admitted) slots.push(d.delayMs);
    }
    // 2 at once, then one every 500 ms for 10 s: 21 booked, the rest told to come back later.
    expect(slots).toEqual([0, 0, ...Array.from({ length: 20 }, (_, i) => (i + 1) * 500)]);
    expect(await ramp.take()).toEqual({ admitted: false, retryAfterMs: 500 });
  });

  it('uses the documented defaults', () => {
    expect(new MemoryReconnectRamp().rules).toEqual({ ratePerSec: 50, burst: 50, maxWaitMs: 600_000 });
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
