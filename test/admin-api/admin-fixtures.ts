// Shared by the admin-api integration tests (not a test file).
import type { AdminTokenConfig } from '@breakwater/admin-api';

export const SECRETS = Object.freeze({
  operator: 'it-operator-secret-0000001',
  viewer: 'it-viewer-secret-00000001',
  expired: 'it-expired-secret-0000001',
});

/** Tokens for an app whose clock reads `now`: the `ex` token expired a minute earlier. */
export function tokenConfig(now: number): AdminTokenConfig[] {
  return [
    { name: 'olga', role: 'operator', token: SECRETS.operator },
    { name: 'vic', role: 'viewer', token: SECRETS.viewer },
    { name: 'ex', role: 'operator', token: SECRETS.expired, expiresAt: now - 60_000 },
  ];
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
export const AS_OPERATOR = bearer(SECRETS.operator);
export const AS_VIEWER = bearer(SECRETS.viewer);
