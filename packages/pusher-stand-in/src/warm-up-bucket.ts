/**
 * A token bucket whose refill rate rises linearly from `initialRate` to `maxRate`
 * over `warmUpMs` after each (re)start: a pusher coming back cold. Pure
 * arithmetic on the `now` it is given (ms of any clock), so tests need no sleeps.
 *
 * Written independently of breaker-core's reconnect ramp (a fixed-rate bucket
 * the client uses), so a bug in one does not hide in the other.
 */
export interface WarmUpRules {
  /** Handshakes a second at the (re)start. */
  readonly initialRate: number;
  /** Handshakes a second once warm. */
  readonly maxRate: number;
  /** Time from initialRate to maxRate, ms; 0 = maxRate at once. */
  readonly warmUpMs: number;
  /** Bucket size, tokens; full at the (re)start. */
  readonly burst: number;
}

/** Float drift on refills of exact fractions (0.1 s at 10/s) must not turn an earned token down. */
const EPSILON = 1e-9;

export class WarmUpBucket {
  readonly rules: WarmUpRules;
  #since: number;
  #tokens: number;
  #at: number;

  constructor(rules: WarmUpRules, now: number) {
    this.rules = rules;
    this.#since = now;
    this.#tokens = rules.burst;
    this.#at = now;
  }

  /** When the current warm-up began. */
  get since(): number {
    return this.#since;
  }

  /** Starts cold again at `now`: rate back to initialRate, bucket full. */
  restart(now: number): void {
    this.#since = now;
    this.#tokens = this.rules.burst;
    this.#at = now;
  }

  /** Handshakes a second at `now`. */
  rateAt(now: number): number {
    const { initialRate, maxRate, warmUpMs } = this.rules;
    const u = now - this.#since;
    if (warmUpMs === 0 || u >= warmUpMs) return maxRate;
    if (u <= 0) return initialRate;
    return initialRate + ((maxRate - initialRate) * u) / warmUpMs;
  }

  /** Tokens in the bucket at `now` (at most burst). */
  tokensAt(now: number): number {
    return Math.min(this.rules.burst, this.#tokens + this.#earned(this.#at, now));
  }

  /** Takes one token if there is one at `now`; false leaves the bucket as it was. */
  take(now: number): boolean {
    const tokens = this.tokensAt(now);
    // A clock that steps back refills nothing and does not move the refill mark back.
    if (now > this.#at) {
      this.#tokens = tokens;
      this.#at = now;
    }
    if (this.#tokens + EPSILON < 1) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** Tokens earned between `from` and `to`: the integral of the rate, never negative. */
  #earned(from: number, to: number): number {
    if (to <= from) return 0;
    return (this.#cumulative(to) - this.#cumulative(from)) / 1_000;
  }

  /** ∫ rate from `since` to `t`, in handshake·ms per second. */
  #cumulative(t: number): number {
    const { initialRate, maxRate, warmUpMs } = this.rules;
    const u = Math.max(0, t - this.#since);
    if (warmUpMs === 0) return maxRate * u;
    if (u <= warmUpMs) return initialRate * u + ((maxRate - initialRate) * u * u) / (2 * warmUpMs);
    return ((initialRate + maxRate) * warmUpMs) / 2 + maxRate * (u - warmUpMs);
  }
}
