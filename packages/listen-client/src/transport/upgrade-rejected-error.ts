/** Brand of {@link UpgradeRejectedError}; survives two installed copies of the package. */
const BRAND = Symbol.for('breakwater.upgrade-rejected');

/** Statuses that say "too busy, come back later" when they carry a `Retry-After`. */
const OVERLOAD_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * pusher answered the WebSocket upgrade with an HTTP error instead of switching
 * protocols. A dialer rejects its `ready` with it so the session can tell an overloaded
 * pusher (503 or 429 with `Retry-After`: alive, shedding load, asking for a pause) from
 * a broken one; {@link wsDialer} does, and a custom dialer may.
 */
export class UpgradeRejectedError extends Error {
  readonly [BRAND] = true;
  readonly code = 'PUSHER_UPGRADE_REJECTED';
  /** The HTTP status of pusher's answer. */
  readonly statusCode: number;
  /** pusher's `Retry-After`, ms from when it answered; undefined without one (or an unreadable one). */
  readonly retryAfterMs: number | undefined;

  constructor(statusCode: number, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(
      `pusher refused the upgrade with HTTP ${statusCode}${retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`}`,
      options,
    );
    this.name = 'UpgradeRejectedError';
    this.statusCode = statusCode;
    this.retryAfterMs = retryAfterMs;
  }

  /** An overload: 503 or 429 with a `Retry-After`. Any other rejection is a plain failure. */
  get overload(): boolean {
    return OVERLOAD_STATUSES.has(this.statusCode) && this.retryAfterMs !== undefined;
  }
}

export function isUpgradeRejectedError(err: unknown): err is UpgradeRejectedError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** Longest `Retry-After` taken at its word, ms (a day). */
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * A `Retry-After` header in ms from `now`: delay-seconds (`"5"`) or an HTTP-date, capped
 * at a day; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1_000);
  // An HTTP-date names its day and month ("Tue, 01 Dec 2026 10:00:30 GMT"); "-3" is no date.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}
