import type { Clock } from '@breakwater/breaker-core';
import { integerInRange } from '@breakwater/breaker-core/internal';

export interface TokenBucketOptions {
  /** Requests a key may make at once, after being idle. Range 1 – 10_000. */
  readonly burst: number;
  /** Sustained requests per minute per key (the refill rate). Range 1 – 60_000. */
  readonly perMinute: number;
  /** Keys tracked at most; the least recently used is forgotten first. Range 1 – 1_000_000. */
  readonly maxKeys: number;
  readonly clock: Clock;
}

export type TakeResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (the admin API keys by token name). Time comes
 * from the injected clock, so tests move it by hand; memory is bounded by
 * `maxKeys`.
 */
export class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    this.#burst = integerInRange('rateLimit.burst', options.burst, 1, 10_000);
    this.#perMs = integerInRange('rateLimit.perMinute', options.perMinute, 1, 60_000) / 60_000;
    this.#maxKeys = integerInRange('rateLimit.maxKeys', options.maxKeys, 1, 1_000_000);
    this.#clock = options.clock;
  }

  /** Takes one token for `key` if there is one. */
  take(key: string): TakeResult {
    const now = this.#clock();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    // Map order is recency order: re-insert on every use, evict from the front.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / this.#perMs) };
  }

  /** Gives back a token taken by {@link take} for a request that turned out to be refused. */
  refund(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) bucket.tokens = Math.min(this.#burst, bucket.tokens + 1);
  }
}
