import { describe, expect, it } from 'vitest';
import { isUpgradeRejectedError, parseRetryAfter, UpgradeRejectedError } from './upgrade-rejected-error.js';

describe('UpgradeRejectedError', () => {
  it('is an overload for 503 and 429 with a Retry-After only', () => {
    expect(new UpgradeRejectedError(503, 5_000).overload).toBe(true);
    expect(new UpgradeRejectedError(429, 0).overload).toBe(true);
    expect(new UpgradeRejectedError(503).overload).toBe(false);
    expect(new UpgradeRejectedError(500, 5_000).overload).toBe(false);
    const err = new UpgradeRejectedError(503, 5_000);
    expect(isUpgradeRejectedError(err)).toBe(true);
    expect(isUpgradeRejectedError(new Error('x'))).toBe(false);
    expect(err.message).toBe('pusher refused the upgrade with HTTP 503 (Retry-After 5000 ms)');
  });

  it('reads Retry-After as delay-seconds or an HTTP-date, capped at a day', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5_000);
    expect(parseRetryAfter(['2'], now)).toBe(2_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999999', now)).toBe(86_400_000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });
});
