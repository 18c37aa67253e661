import type { Clock } from '@breakwater/breaker-core';
import type { AdminToken } from './admin-token.js';
import { bearerToken } from './bearer.js';
import { digestsEqual, digestToken } from './constant-time.js';
import type { Role } from './role.js';

/** Who made a request: the token's name (the audit actor) and role. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

export type AuthFailure = 'AUTH_REQUIRED' | 'AUTH_INVALID' | 'AUTH_EXPIRED';

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly code: AuthFailure; readonly message: string };

/**
 * Looks a presented bearer token up among the configured ones. The presented
 * token is hashed and compared with every configured digest in constant time,
 * with no early exit, so response time does not reveal how close a guess was
 * or which entry matched.
 */
export class TokenRegistry {
  readonly #tokens: readonly AdminToken[];
  readonly #clock: Clock;

  constructor(tokens: readonly AdminToken[], clock: Clock) {
    this.#tokens = tokens;
    this.#clock = clock;
  }

  authenticate(authorization: string | undefined): AuthOutcome {
    const presented = bearerToken(authorization);
    if (presented === undefined) {
      return { ok: false, code: 'AUTH_REQUIRED', message: 'send "Authorization: Bearer <token>"' };
    }
    const digest = digestToken(presented);
    let match: AdminToken | undefined;
    for (const token of this.#tokens) {
      if (digestsEqual(token.digest, digest) && match === undefined) match = token;
    }
    if (match === undefined) return { ok: false, code: 'AUTH_INVALID', message: 'the bearer token is not valid' };
    if (match.expiresAt !== null && match.expiresAt <= this.#clock()) {
      return {
        ok: false,
        code: 'AUTH_EXPIRED',
        message: `token "${match.name}" expired at ${new Date(match.expiresAt).toISOString()}`,
      };
    }
    return { ok: true, principal: { name: match.name, role: match.role } };
  }
}
