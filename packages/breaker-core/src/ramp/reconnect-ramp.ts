/**
 * A cluster-wide admission gate for reconnects. When the breaker closes after an
 * outage, every session of every pod wants to reconnect at once; each asks the ramp
 * once, and the ramp admits at most `burst` at once and `ratePerSec` after that,
 * fleet-wide, handing later callers a booked slot (`delayMs`), so recovery does not
 * become the next storm — neither on pusher nor on Redis.
 *
 * Implementations: {@link RedisReconnectRamp} (one token bucket in Redis shared by
 * every pod) and {@link MemoryReconnectRamp} (one process; tests and single-pod use).
 */
export interface ReconnectRamp {
  /**
   * Takes one token (or `cost`). Resolves with the decision; rejects only when the
   * store cannot answer (StoreUnavailableError), never for "not now".
   */
  take(cost?: number): Promise<RampDecision>;
}

/** The answer of {@link ReconnectRamp.take}. */
export type RampDecision =
  | {
      readonly admitted: true;
      /** Whole tokens left in the bucket after this admission (0 while slots are booked ahead). */
      readonly tokens: number;
      /**
       * Wait this long before reconnecting, ms: 0 = now; more = the caller holds a booked slot
       * that far ahead (its token is already taken), so it must not ask again.
       */
      readonly delayMs: number;
    }
  | {
      readonly admitted: false;
      /** Every slot within `maxWaitMs` is booked: ask again after this, ms (with jitter). */
      readonly retryAfterMs: number;
    };

export interface ReconnectRampOptions {
  /**
   * Sustained admissions per second, fleet-wide. Fractions allowed. Range (0, 1_000_000].
   * The default admits 10,000 sessions (30 pods × ~330) in about 3 min 20 s after an
   * outage, a rate one pusher deployment accepts as new handshakes without tipping over.
   * @default 50
   */
  ratePerSec?: number;
  /**
   * Bucket capacity: admissions allowed at once after a quiet period. Integer 1 – 1_000_000.
   * @default 50
   */
  burst?: number;
  /**
   * How far ahead a caller may book a slot, ms. A caller beyond the burst is not told "ask
   * again soon" (10,000 sessions asking every few ms would be a storm on Redis) but given the
   * next free slot, up to this far ahead: each session asks once, then waits its turn. Beyond
   * it, the caller is refused with a `retryAfterMs`. 0 = no booking (a plain token bucket).
   * Range 0 – 3,600,000. @default 600_000
   */
  maxWaitMs?: number;
}

/** Defaults for every ramp; see {@link ReconnectRampOptions}. */
export const DEFAULT_RECONNECT_RAMP_OPTIONS = Object.freeze({ ratePerSec: 50, burst: 50, maxWaitMs: 600_000 });
