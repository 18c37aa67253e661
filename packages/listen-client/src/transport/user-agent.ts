import { VERSION } from '../version.js';

/**
 * The `User-Agent` every dial sends unless the session's `userAgent` says
 * otherwise, e.g. `breakwater-listen-client/0.1.0 (node/20.19.0)`: pusher's logs
 * can tell this client, its version and its runtime from any other.
 */
export const DEFAULT_USER_AGENT = `breakwater-listen-client/${VERSION} (node/${process.versions.node})`;

/** Longest `userAgent` accepted, characters. */
export const MAX_USER_AGENT_LENGTH = 256;

/**
 * Why `value` cannot be a User-Agent header, or undefined if it can: 1–256
 * printable ASCII characters (spaces inside, not at either end). Anything else
 * would make every handshake fail (Node refuses control characters in headers)
 * or be mangled on the way to pusher's logs.
 */
export function userAgentProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${typeof value}`;
  if (value.length === 0 || value.length > MAX_USER_AGENT_LENGTH) {
    return `expected 1–${MAX_USER_AGENT_LENGTH} characters, got ${value.length}`;
  }
  if (!/^[\x20-\x7e]+$/.test(value)) return `expected printable ASCII only, got ${JSON.stringify(value)}`;
  if (value.trim() !== value) return `expected no leading or trailing spaces, got ${JSON.stringify(value)}`;
  return undefined;
}
