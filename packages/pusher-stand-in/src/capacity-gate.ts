import type { OverloadMode, ResolvedCapacity } from './capacity.js';
import { CapacityLedger, type OverloadCause, type PusherCapacityStats } from './capacity-ledger.js';
import { WarmUpBucket } from './warm-up-bucket.js';

/** The gate's answer to one handshake. */
export type CapacityVerdict =
  | { readonly admitted: true }
  | {
      readonly admitted: false;
      readonly cause: OverloadCause;
      readonly mode: OverloadMode;
      readonly retryAfterSeconds: number;
    };

const ADMITTED: CapacityVerdict = Object.freeze({ admitted: true });

/**
 * The stand-in's admission decisions, without sockets: the capacity in force, its
 * warming bucket and the ledger of what it decided. Reads the clock once per call.
 */
export class CapacityGate {
  readonly #clock: () => number;
  readonly #ledger = new CapacityLedger();
  #capacity: { readonly config: ResolvedCapacity; readonly bucket: WarmUpBucket } | undefined;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The capacity in force; null = unlimited. */
  get config(): ResolvedCapacity | null {
    return this.#capacity?.config ?? null;
  }

  /** Sets a capacity (a cold start: initialRate, full bucket) or lifts it (null). */
  set(config: ResolvedCapacity | null): void {
    if (config === null) {
      this.#capacity = undefined;
      return;
    }
    this.#capacity = { config, bucket: new WarmUpBucket(config, this.#clock()) };
    this.#ledger.coldStart();
  }

  /** Pusher came back (a fault cleared): with a capacity set, it starts cold again. */
  restart(): void {
    if (!this.#capacity) return;
    this.#capacity.bucket.restart(this.#clock());
    this.#ledger.coldStart();
  }

  /**
   * Admits a well-formed handshake or refuses it as overload. `sessions` counts those open (and
   * admitted, not yet open); it is called only with a `maxSessions` set. Sessions first: a full
   * pusher refuses whatever the rate allows, and a refusal for sessions takes no token.
   */
  decide(sessions: () => number): CapacityVerdict {
    const c = this.#capacity;
    if (!c) return ADMITTED;
    const now = this.#clock();
    const rate = c.bucket.rateAt(now);
    let cause: OverloadCause | undefined;
    if (c.config.maxSessions !== null && sessions() >= c.config.maxSessions) cause = 'sessions';
    else if (!c.bucket.take(now)) cause = 'rate';
    if (cause === undefined) {
      this.#ledger.accepted(now, rate);
      return ADMITTED;
    }
    this.#ledger.rejected(now, rate, c.config.overload, cause);
    return { admitted: false, cause, mode: c.config.overload, retryAfterSeconds: c.config.retryAfterSeconds };
  }

  /** How many open sessions are past `maxSessions` now: the ones to shed (0 without a limit). */
  excess(sessions: number): number {
    const max = this.#capacity?.config.maxSessions ?? null;
    return max === null ? 0 : Math.max(0, sessions - max);
  }

  /** Records `n` sessions shed. */
  shed(n: number): void {
    const now = this.#clock();
    this.#ledger.shed(now, this.#capacity?.bucket.rateAt(now) ?? 0, n);
  }

  stats(stalledNow: number): PusherCapacityStats {
    const now = this.#clock();
    const c = this.#capacity;
    return this.#ledger.snapshot({
      config: c?.config ?? null,
      rate: c ? c.bucket.rateAt(now) : null,
      tokens: c ? c.bucket.tokensAt(now) : null,
      warmingSince: c ? c.bucket.since : null,
      stalledNow,
    });
  }

  /** Zeroes the counters; the capacity in force and its warm-up carry on. */
  resetStats(): void {
    this.#ledger.reset();
  }
}
