import { describe, expect, it } from 'vitest';
import { ManualScheduler } from './manual-scheduler.js';

describe('ManualScheduler', () => {
  it('runs due timers in time order, at their own time, and nothing early', async () => {
    const clock = new ManualScheduler(0);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 100);
    const c = clock.setTimeout(() => seen.push('c'), 150);
    clock.clearTimeout(c);
    await clock.advance(199);
    expect(seen).toEqual(['a@100']);
    await clock.advance(1);
    expect(seen).toEqual(['a@100', 'b@200']);
    expect(clock.now()).toBe(200);
  });

  it('runs timers scheduled by timers, and settles promise chains between them', async () => {
    const clock = new ManualScheduler(0);
    const seen: number[] = [];
    clock.setTimeout(async () => {
      await Promise.resolve();
      await Promise.resolve();
      clock.setTimeout(() => seen.push(clock.now()), 10);
    }, 10);
    await clock.advance(20);
    expect(seen).toEqual([20]);
    expect(await clock.runNext()).toBe(false);
  });
});
