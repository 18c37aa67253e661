import { describe, expect, it } from 'vitest';
import { resolveAdminTokens } from './admin-token.js';
import { bearerToken } from './bearer.js';
import { roleAllows } from './role.js';
import { TokenRegistry } from './token-registry.js';

const NOW = 1_800_000_000_000;
const tokens = resolveAdminTokens([
  { name: 'olga', role: 'operator', token: 'operator-secret-0001' },
  { name: 'vic', role: 'viewer', token: 'viewer-secret-00001' },
  { name: 'old', role: 'operator', token: 'expired-secret-0001', expiresAt: NOW },
]);

describe('TokenRegistry', () => {
  const registry = new TokenRegistry(tokens, () => NOW);

  it('maps a configured token to its name and role', () => {
    expect(registry.authenticate('Bearer operator-secret-0001')).toEqual({
      ok: true,
      principal: { name: 'olga', role: 'operator' },
    });
    expect(registry.authenticate('bearer viewer-secret-00001')).toEqual({
      ok: true,
      principal: { name: 'vic', role: 'viewer' },
    });
  });

  it.each([
    [undefined, 'AUTH_REQUIRED'],
    ['', 'AUTH_REQUIRED'],
    ['Bearer', 'AUTH_REQUIRED'],
    ['Bearer ', 'AUTH_REQUIRED'],
    ['Basic b2xnYTpzZWNyZXQ=', 'AUTH_REQUIRED'],
    ['operator-secret-0001', 'AUTH_REQUIRED'],
    ['Bearer operator-secret-0001 extra', 'AUTH_REQUIRED'],
    [`Bearer ${'x'.repeat(600)}`, 'AUTH_REQUIRED'],
    ['Bearer operator-secret-0002', 'AUTH_INVALID'],
    ['Bearer operator-secret-000', 'AUTH_INVALID'],
    ['Bearer OPERATOR-SECRET-0001', 'AUTH_INVALID'],
    ['Bearer expired-secret-0001', 'AUTH_EXPIRED'],
  ])('refuses %j with %s', (header, code) => {
    const outcome = registry.authenticate(header);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.code).toBe(code);
  });

  it('lets a token with an expiry work until then (the clock is injected)', () => {
    let now = NOW - 1;
    const timed = new TokenRegistry(tokens, () => now);
    expect(timed.authenticate('Bearer expired-secret-0001').ok).toBe(true);
    now = NOW;
    expect(timed.authenticate('Bearer expired-secret-0001').ok).toBe(false);
  });

  it('parses bearer headers case-insensitively, with nothing but the token', () => {
    expect(bearerToken('BEARER abc')).toBe('abc');
    expect(bearerToken('Bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });

  it('lets operators do what viewers do, not the reverse', () => {
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('operator', 'operator')).toBe(true);
    expect(roleAllows('viewer', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'operator')).toBe(false);
  });
});
