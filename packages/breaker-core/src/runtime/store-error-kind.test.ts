import { describe, expect, it } from 'vitest';
import { BreakerNotFoundError } from '../errors/breaker-not-found-error.js';
import { fromRedisError } from '../errors/from-redis-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NotRegisteredError } from '../errors/not-registered-error.js';
import { storeErrorKind, storeErrorLabel } from './store-error-kind.js';
import { StoreTimeoutError } from './store-timeout-error.js';

/** A Redis error reply as ioredis delivers it (redis-errors' ReplyError). */
class ReplyError extends Error {
  override get name() {
    return 'ReplyError';
  }
}

describe('storeErrorKind', () => {
  it('classifies by type, not by message', () => {
    expect(storeErrorKind(new StoreTimeoutError('record', 250))).toBe('timeout');
    // A message that merely says "timed out" is not a timeout of ours.
    expect(storeErrorKind(fromRedisError(new Error('Command timed out'), 'p', 'record'))).toBe('unavailable');
    expect(storeErrorKind(fromRedisError(new Error('Connection is closed.'), 'p', 'record'))).toBe('unavailable');
    expect(storeErrorKind(fromRedisError(new ReplyError('OOM command not allowed'), 'p', 'record'))).toBe('other');
    expect(storeErrorKind(new NotRegisteredError('p'))).toBe('not_registered');
    expect(storeErrorKind(new BreakerNotFoundError('p'))).toBe('not_found');
    expect(storeErrorKind(new InvalidArgumentError('failures', 'expected an integer'))).toBe('bug');
    expect(storeErrorKind(new Error('ECONNREFUSED from a caller store'))).toBe('other');
    expect(storeErrorKind('a string')).toBe('other');
  });

  it('maps to the three metric labels', () => {
    expect(['timeout', 'unavailable', 'not_found', 'bug'].map((k) => storeErrorLabel(k as never))).toEqual([
      'timeout',
      'unavailable',
      'other',
      'other',
    ]);
  });
});
