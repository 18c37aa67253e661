import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a token. Tokens are kept and compared only as digests: every
 * digest has the same length, so the comparison below takes the same time
 * whatever the presented token looks like, and the process never holds the
 * configured secret longer than it takes to hash it.
 */
export function digestToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time equality of two digests made by {@link digestToken}. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
