/**
 * A capacity for the stand-in: how many new handshakes a second a pusher that has
 * just come back can take, how that rises as it warms up, how many sessions it
 * holds at once, and how it answers the excess. Plain JSON (no Infinity), so it
 * crosses the incident replay's IPC as it is.
 */

/** How an overloaded pusher answers a handshake it has no room for. */
export type OverloadMode =
  /** HTTP 503 with `Retry-After` on the upgrade request; no upgrade. */
  | 'http-503'
  /** The upgrade completes, then the connection is closed at once with 1011 "overloaded". */
  | 'close-1011'
  /** The TCP connection is accepted and the upgrade never answered (until the client gives up). */
  | 'stall';

export const OVERLOAD_MODES: readonly OverloadMode[] = ['http-503', 'close-1011', 'stall'];

/** What {@link PusherStandIn.setCapacity} and the `capacity` start option take; every field optional. */
export interface PusherCapacity {
  /**
   * New handshakes a second it admits the moment it comes back (at start, when a fault is cleared,
   * when a capacity is set). Range (0, 1,000,000]. @default 100
   */
  readonly initialRate?: number;
  /** New handshakes a second once warm. Range [initialRate, 1,000,000]. @default 400 */
  readonly maxRate?: number;
  /** Time the rate takes to rise, linearly, from `initialRate` to `maxRate`, ms. 0 = warm at once. Range 0 – 3,600,000. @default 30_000 */
  readonly warmUpMs?: number;
  /**
   * Handshakes admitted back to back after a quiet spell: the bucket's size. The bucket is full
   * when it comes back. Integer, range 1 – 1,000,000. @default 50 (the replay's reconnect-ramp
   * burst: Breakwater's ramp fits under a cold pusher, a stampede does not)
   */
  readonly burst?: number;
  /** How the excess is answered. @default 'http-503' */
  readonly overload?: OverloadMode;
  /** The 503's `Retry-After`, seconds. Integer, range 0 – 86,400. @default 5 */
  readonly retryAfterSeconds?: number;
  /**
   * Sessions it holds at once. A new handshake past it is refused as overload (whatever the rate
   * allows); lowering it below the sessions open sheds the newest ones (closed 1011 "overloaded").
   * Integer ≥ 0, or null for no limit. @default null
   */
  readonly maxSessions?: number | null;
}

/** A capacity with every default filled in. */
export type ResolvedCapacity = { readonly [K in keyof PusherCapacity]-?: Exclude<PusherCapacity[K], undefined> };

export const DEFAULT_CAPACITY: ResolvedCapacity = Object.freeze({
  initialRate: 100,
  maxRate: 400,
  warmUpMs: 30_000,
  burst: 50,
  overload: 'http-503',
  retryAfterSeconds: 5,
  maxSessions: null,
});

const MAX_RATE = 1_000_000;

/** Fills defaults and validates; throws a RangeError naming the field (`capacity.maxRate: …`). */
export function resolveCapacity(capacity: PusherCapacity): ResolvedCapacity {
  if (typeof capacity !== 'object' || capacity === null || Array.isArray(capacity)) {
    throw new RangeError(`capacity: expected an object, got ${JSON.stringify(capacity)}`);
  }
  const known = new Set(Object.keys(DEFAULT_CAPACITY));
  for (const key of Object.keys(capacity)) {
    if (!known.has(key)) throw new RangeError(`capacity.${key}: unknown field; expected ${[...known].join(', ')}`);
  }
  const d = DEFAULT_CAPACITY;
  const initialRate = rate('initialRate', capacity.initialRate ?? d.initialRate, 0);
  const maxRate = rate('maxRate', capacity.maxRate ?? Math.max(d.maxRate, initialRate), initialRate);
  const overload = capacity.overload ?? d.overload;
  if (!OVERLOAD_MODES.includes(overload)) {
    throw new RangeError(`capacity.overload: expected one of ${OVERLOAD_MODES.join(', ')}, got ${String(overload)}`);
  }
  const maxSessions = capacity.maxSessions ?? d.maxSessions;
  return {
    initialRate,
    maxRate,
    warmUpMs: integer('warmUpMs', capacity.warmUpMs ?? d.warmUpMs, 0, 3_600_000),
    burst: integer('burst', capacity.burst ?? d.burst, 1, 1_000_000),
    overload,
    retryAfterSeconds: integer('retryAfterSeconds', capacity.retryAfterSeconds ?? d.retryAfterSeconds, 0, 86_400),
    maxSessions: maxSessions === null ? null : integer('maxSessions', maxSessions, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** A rate in (min, MAX_RATE] for initialRate, [min, MAX_RATE] for maxRate. */
function rate(field: 'initialRate' | 'maxRate', value: unknown, min: number): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value <= MAX_RATE &&
    (field === 'initialRate' ? value > min : value >= min);
  if (!ok) {
    const range = field === 'initialRate' ? `(0, ${MAX_RATE}]` : `[initialRate ${min}, ${MAX_RATE}]`;
    throw new RangeError(`capacity.${field}: expected handshakes a second in ${range}, got ${String(value)}`);
  }
  return value;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`capacity.${field}: expected an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}
