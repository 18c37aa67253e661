import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refuses with the wait until the next token', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 3, perMinute: 6, maxKeys: 10, clock: () => now });
    expect([bucket.take('a'), bucket.take('a'), bucket.take('a')].every((r) => r.allowed)).toBe(true);
    expect(bucket.take('a')).toEqual({ allowed: false, retryAfterMs: 10_000 });
    now = 4_000;
    expect(bucket.take('a')).toEqual({ allowed: false, retryAfterMs: 6_000 });
    now = 10_000;
    expect(bucket.take('a').allowed).toBe(true);
    expect(bucket.take('a').allowed).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const bucket = new TokenBucket({ burst: 1, perMinute: 1, maxKeys: 10, clock: () => 0 });
    expect(bucket.take('a').allowed).toBe(true);
    expect(bucket.take('a').allowed).toBe(false);
    expect(bucket.take('b').allowed).toBe(true);
  });

  it('refills no further than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ burst: 2, perMinute: 60, maxKeys: 10, clock: () => now });
    bucket.take('a');
    now = 3_600_000;
    expect([bucket.take('a'), bucket.take('a'), bucket.take('a')].map((r) => r.allowed)).toEqual([true, true, false]);
  });

  it('takes a refunded token back, never beyond the burst', () => {
    const bucket = new TokenBucket({ burst: 2, perMinute: 1, maxKeys: 10, clock: () => 0 });
    bucket.refund('a'); // unknown key: nothing to give back
    expect([bucket.take('a'), bucket.take('a'), bucket.take('a')].map((r) => r.allowed)).toEqual([true, true, false]);
    bucket.refund('a');
    expect(bucket.take('a').allowed).toBe(true);
    bucket.refund('a');
    bucket.refund('a');
    bucket.refund('a');
    expect([bucket.take('a'), bucket.take('a'), bucket.take('a')].map((r) => r.allowed)).toEqual([true, true, false]);
  });

  it('forgets the least recently used key beyond maxKeys (bounded memory)', () => {
    const bucket = new TokenBucket({ burst: 1, perMinute: 1, maxKeys: 2, clock: () => 0 });
    bucket.take('a');
    bucket.take('b');
    bucket.take('c'); // evicts a
    expect(bucket.take('a').allowed).toBe(true);
    expect(bucket.take('c').allowed).toBe(false);
  });

  it.each([
    [{ burst: 0 }, 'rateLimit.burst'],
    [{ burst: 1.5 }, 'rateLimit.burst'],
    [{ perMinute: 0 }, 'rateLimit.perMinute'],
    [{ perMinute: Number.NaN }, 'rateLimit.perMinute'],
    [{ maxKeys: 0 }, 'rateLimit.maxKeys'],
  ])('refuses %j', (override, argument) => {
    const make = () => new TokenBucket({ burst: 1, perMinute: 1, maxKeys: 1, clock: () => 0, ...override });
    expect(make).toThrow(expect.objectContaining({ argument }));
    try {
      make();
    } catch (err) {
      expect(isInvalidArgumentError(err)).toBe(true);
    }
  });
});
