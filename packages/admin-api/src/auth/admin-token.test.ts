import { createHash } from 'node:crypto';
import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { resolveAdminTokens } from './admin-token.js';

const SECRET = 'a-secret-of-24-characters';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('resolveAdminTokens', () => {
  it('keeps name, role and expiry, and holds the secret only as its SHA-256', () => {
    const [token] = resolveAdminTokens([
      { name: 'alice', role: 'operator', token: SECRET, expiresAt: '2030-01-01T00:00:00Z' },
    ]);
    expect(token).toEqual({
      name: 'alice',
      role: 'operator',
      digest: createHash('sha256').update(SECRET).digest(),
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    expect(JSON.stringify(token)).not.toContain(SECRET);
  });

  it('accepts a digest instead of the secret, and ms since epoch as expiry', () => {
    const sha256 = createHash('sha256').update(SECRET).digest('hex');
    const [token] = resolveAdminTokens([{ name: 'ci.bot', role: 'viewer', sha256, expiresAt: 1_900_000_000_000 }]);
    expect(token?.digest.toString('hex')).toBe(sha256);
    expect(token?.expiresAt).toBe(1_900_000_000_000);
  });

  it.each([
    ['not an array', { name: 'a' }, 'tokens'],
    ['an empty list', [], 'tokens'],
    ['an unknown field', [{ name: 'a', role: 'viewer', token: SECRET, admin: true }], 'tokens[0].admin'],
    ['a bad name', [{ name: 'bad name', role: 'viewer', token: SECRET }], 'tokens[0].name'],
    ['an unknown role', [{ name: 'a', role: 'root', token: SECRET }], 'tokens[0].role'],
    ['neither token nor sha256', [{ name: 'a', role: 'viewer' }], 'tokens[0]'],
    ['both token and sha256', [{ name: 'a', role: 'viewer', token: SECRET, sha256: 'ab'.repeat(32) }], 'tokens[0]'],
    ['a short secret', [{ name: 'a', role: 'viewer', token: 'short' }], 'tokens[0].token'],
    ['a secret with spaces', [{ name: 'a', role: 'viewer', token: 'has spaces in the secret' }], 'tokens[0].token'],
    ['a bad digest', [{ name: 'a', role: 'viewer', sha256: 'xyz' }], 'tokens[0].sha256'],
    ['a bad expiry', [{ name: 'a', role: 'viewer', token: SECRET, expiresAt: 'tomorrow' }], 'tokens[0].expiresAt'],
    [
      'a duplicate name',
      [
        { name: 'a', role: 'viewer', token: SECRET },
        { name: 'a', role: 'operator', token: `${SECRET}-2` },
      ],
      'tokens[1].name',
    ],
    [
      'a shared secret',
      [
        { name: 'a', role: 'viewer', token: SECRET },
        { name: 'b', role: 'operator', token: SECRET },
      ],
      'tokens[1]',
    ],
  ])('refuses %s, naming the field', (_, value, argument) => {
    const err = errorOf(() => resolveAdminTokens(value));
    expect(isInvalidArgumentError(err)).toBe(true);
    expect((err as { argument?: string }).argument).toBe(argument);
  });

  it('never quotes a secret in its errors (they end up in logs)', () => {
    const secret = 'has spaces in the secret';
    expect(errorOf(() => resolveAdminTokens([{ name: 'a', role: 'viewer', token: secret }])).message).not.toContain(
      secret,
    );
    expect(
      errorOf(() =>
        resolveAdminTokens([
          { name: 'a', role: 'viewer', token: SECRET },
          { name: 'b', role: 'viewer', token: SECRET },
        ]),
      ).message,
    ).not.toContain(SECRET);
  });
});
