/**
 * A cluster-wide admission gate for reconnects. When the breaker closes after an
 * outage, every session of every pod wants to reconnect at once; each asks the ramp
 * first, and the ramp admits at most `burst` at once and `ratePerSec` after that,
 * fleet-wide, so recovery does not become the next storm.
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
      /** Whole tokens left in the bucket after this admission. */
      readonly tokens: number;
    }
  | {
      readonly admitted: false;
      /** How long until `cost` tokens will be there, ms (ask again then, with jitter). */
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
}

/** Defaults for every ramp; see {@link ReconnectRampOptions}. */
export const DEFAULT_RECONNECT_RAMP_OPTIONS = Object.freeze({ ratePerSec: 50, burst: 50 });
