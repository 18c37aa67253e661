import { describe, expect, it } from 'vitest';
import { BreakerNotFoundError, isBreakerNotFoundError } from './breaker-not-found-error.js';
import { isBreakwaterError } from './breakwater-error.js';
import { fromRedisError } from './from-redis-error.js';
import { isInvalidArgumentError } from './invalid-argument-error.js';
import { isStoreUnavailableError } from './store-unavailable-error.js';

describe('errors', () => {
  it('carry a stable code and a brand that a second copy of the package would recognise', () => {
    const err = new BreakerNotFoundError('pusher');
    expect(err.code).toBe('BREAKWATER_BREAKER_NOT_FOUND');
    expect(err.name).toBe('BreakerNotFoundError');
    // What a second installed copy would create: a different class, the same global symbol.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('breakwater.error')]: true,
      code: 'BREAKWATER_BREAKER_NOT_FOUND',
    });
    expect(isBreakwaterError(foreign)).toBe(true);
    expect(isBreakerNotFoundError(foreign)).toBe(true);
    expect(isBreakwaterError(new Error('plain'))).toBe(false);
  });

  it('maps script error codes and client failures in one place, keeping the cause', () => {
    expect(isBreakerNotFoundError(fromRedisError(new Error('BW_NOT_FOUND breaker x'), 'x', 'snapshot'))).toBe(true);
    const bad = fromRedisError(new Error('BW_BAD_INPUT failures: expected an integer'), 'x', 'record');
    expect(isInvalidArgumentError(bad)).toBe(true);
    expect(bad.message).toBe('record: failures: expected an integer');
    const cause = new Error('Command timed out');
    const down = fromRedisError(cause, 'x', 'record');
    expect(isStoreUnavailableError(down)).toBe(true);
    expect(down.cause).toBe(cause);
    expect(down.message).toMatch(/record on breaker "x" failed: Command timed out/);
  });
});
