import { describe, expect, it } from 'vitest';
import { addToWindow, clearWindow, createWindow, sumWindow } from './sliding-window.js';

describe('sliding window ring', () => {
  const T0 = 1_800_000_000_000;

  it('counts the current bucket and the previous buckets-1, no more', () => {
    const w = createWindow(30);
    addToWindow(w, 1_000, T0, 3, 1);
    expect(sumWindow(w, 1_000, T0 + 29_999)).toEqual({ failures: 3, successes: 1 });
    expect(sumWindow(w, 1_000, T0 + 30_000)).toEqual({ failures: 0, successes: 0 });
  });

  it('reuses a slot whose epoch is old instead of adding to it', () => {
    const w = createWindow(3);
    addToWindow(w, 1_000, T0, 5, 0);
    addToWindow(w, 1_000, T0 + 3_000, 1, 0); // same slot, three epochs later
    expect(sumWindow(w, 1_000, T0 + 3_000)).toEqual({ failures: 1, successes: 0 });
    expect(w).toHaveLength(3);
  });

  it('ignores buckets from the future (a clock stepped back) and clears', () => {
    const w = createWindow(10);
    addToWindow(w, 1_000, T0 + 5_000, 2, 0);
    expect(sumWindow(w, 1_000, T0)).toEqual({ failures: 0, successes: 0 });
    clearWindow(w);
    expect(sumWindow(w, 1_000, T0 + 5_000)).toEqual({ failures: 0, successes: 0 });
  });
});
