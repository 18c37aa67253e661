import { InvalidArgumentError } from '@breakwater/breaker-core';
import { knownKeys, matching, oneOf, plainObject } from '@breakwater/breaker-core/internal';
import { digestToken } from './constant-time.js';
import { ROLES, type Role } from './role.js';

/**
 * One API token as configured (in `BREAKWATER_ADMIN_TOKENS`, a tokens file, or
 * passed to `buildAdminApp`). Give exactly one of `token` and `sha256`: a
 * tokens file that holds only digests leaks nothing if it is read.
 */
export interface AdminTokenConfig {
  /** Who the token belongs to; written to the audit log as the actor. 1–64 of [A-Za-z0-9_.@-]. */
  readonly name: string;
  readonly role: Role;
  /** The secret itself: 16–512 printable ASCII characters, no spaces. */
  readonly token?: string;
  /** Hex SHA-256 of the secret (`printf %s "$TOKEN" | sha256sum`), instead of `token`. */
  readonly sha256?: string;
  /** When the token stops working: an ISO 8601 date-time, or ms since epoch. @default never */
  readonly expiresAt?: string | number;
}

/** A validated token: its secret kept only as a digest. */
export interface AdminToken {
  readonly name: string;
  readonly role: Role;
  readonly digest: Buffer;
  /** ms since epoch, or null for never. */
  readonly expiresAt: number | null;
}

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 512;
export const MAX_TOKENS = 1_000;

const SECRET = /^[\x21-\x7e]+$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Validates a token list. Errors name the offending entry and field but never
 * quote a secret, so they are safe to log.
 */
export function resolveAdminTokens(value: unknown, argument = 'tokens'): AdminToken[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      argument,
      `expected an array of { name, role, token | sha256 }, got ${typeof value}`,
    );
  }
  if (value.length === 0 || value.length > MAX_TOKENS) {
    throw new InvalidArgumentError(
      argument,
      `expected 1–${MAX_TOKENS} tokens, got ${value.length} (with none, every authenticated route answers 401)`,
    );
  }
  const tokens = value.map((entry, i) => resolveAdminToken(entry, `${argument}[${i}]`));
  const names = new Set<string>();
  const digests = new Set<string>();
  tokens.forEach((t, i) => {
    if (names.has(t.name)) throw new InvalidArgumentError(`${argument}[${i}].name`, `duplicate name "${t.name}"`);
    const hex = t.digest.toString('hex');
    if (digests.has(hex)) {
      throw new InvalidArgumentError(`${argument}[${i}]`, `token "${t.name}" has the same secret as an earlier one`);
    }
    names.add(t.name);
    digests.add(hex);
  });
  return tokens;
}

function resolveAdminToken(value: unknown, argument: string): AdminToken {
  const raw = plainObject(argument, value);
  knownKeys(argument, raw, ['name', 'role', 'token', 'sha256', 'expiresAt']);
  const name = matching(`${argument}.name`, raw.name, TOKEN_NAME_PATTERN, '1–64 characters of [A-Za-z0-9_.@-]');
  const role = oneOf(`${argument}.role`, raw.role, ROLES);
  if ((raw.token === undefined) === (raw.sha256 === undefined)) {
    throw new InvalidArgumentError(argument, `token "${name}": give exactly one of "token" and "sha256"`);
  }
  let digest: Buffer;
  if (raw.token !== undefined) {
    const secret = raw.token;
    // The value is a secret: say what is wrong with it, never what it is.
    if (
      typeof secret !== 'string' ||
      secret.length < MIN_TOKEN_LENGTH ||
      secret.length > MAX_TOKEN_LENGTH ||
      !SECRET.test(secret)
    ) {
      throw new InvalidArgumentError(
        `${argument}.token`,
        `token "${name}": expected ${MIN_TOKEN_LENGTH}–${MAX_TOKEN_LENGTH} printable ASCII characters without spaces`,
      );
    }
    digest = digestToken(secret);
  } else {
    if (typeof raw.sha256 !== 'string' || !SHA256_HEX.test(raw.sha256)) {
      throw new InvalidArgumentError(`${argument}.sha256`, `token "${name}": expected 64 hex characters`);
    }
    digest = Buffer.from(raw.sha256, 'hex');
  }
  return { name, role, digest, expiresAt: resolveExpiry(raw.expiresAt, `${argument}.expiresAt`) };
}

function resolveExpiry(value: unknown, argument: string): number | null {
  if (value === undefined) return null;
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError(
      argument,
      `expected an ISO 8601 date-time or ms since epoch, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
