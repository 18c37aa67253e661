import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPACITY, resolveCapacity } from './capacity.js';

describe('resolveCapacity', () => {
  it('fills the defaults: 100 → 400 a second over 30 s, burst 50, 503 with Retry-After 5, no session limit', () => {
    expect(resolveCapacity({})).toEqual({
      initialRate: 100,
      maxRate: 400,
      warmUpMs: 30_000,
      burst: 50,
      overload: 'http-503',
      retryAfterSeconds: 5,
      maxSessions: null,
    });
    expect(resolveCapacity({})).toEqual(DEFAULT_CAPACITY);
  });

  it('keeps what it is given, and a maxRate left out is at least the initialRate', () => {
    expect(resolveCapacity({ initialRate: 20, maxRate: 20, warmUpMs: 0, overload: 'stall', maxSessions: 0 })).toEqual({
      ...DEFAULT_CAPACITY,
      initialRate: 20,
      maxRate: 20,
      warmUpMs: 0,
      overload: 'stall',
      maxSessions: 0,
    });
    expect(resolveCapacity({ initialRate: 1_000 }).maxRate).toBe(1_000);
  });

  it('throws a RangeError naming the field and what is allowed', () => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /^capacity: expected an object/],
      [{ initialRate: 0 }, /capacity\.initialRate: expected handshakes a second in \(0, 1000000\], got 0/],
      [{ initialRate: Number.POSITIVE_INFINITY }, /capacity\.initialRate/],
      [{ initialRate: 200, maxRate: 100 }, /capacity\.maxRate: expected handshakes a second in \[initialRate 200/],
      [{ warmUpMs: -1 }, /capacity\.warmUpMs: expected an integer in \[0, 3600000\], got -1/],
      [{ burst: 0 }, /capacity\.burst: expected an integer in \[1, 1000000\], got 0/],
      [{ burst: 1.5 }, /capacity\.burst/],
      [{ overload: 'close' }, /capacity\.overload: expected one of http-503, close-1011, stall, got close/],
      [{ retryAfterSeconds: '5' }, /capacity\.retryAfterSeconds/],
      [{ maxSessions: -1 }, /capacity\.maxSessions: expected an integer/],
      [{ maxRates: 10 }, /capacity\.maxRates: unknown field/],
    ];
    for (const [capacity, message] of bad) {
      expect(() => resolveCapacity(capacity as never)).toThrow(RangeError);
      expect(() => resolveCapacity(capacity as never)).toThrow(message);
    }
  });
});
