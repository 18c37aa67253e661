import type { OverloadMode, ResolvedCapacity } from './capacity.js';

/** Why a handshake was refused as overload. */
export type OverloadCause =
  /** No token: more new handshakes a second than the (warming) rate. */
  | 'rate'
  /** `maxSessions` sessions already open. */
  | 'sessions';

/** One second (of the stand-in's clock) in which the capacity decided something. */
export interface CapacitySecond {
  /** Start of the second, clock ms (a multiple of 1,000). */
  readonly at: number;
  /** Handshakes a second the capacity allowed at the last decision in this second. */
  readonly rate: number;
  /** Handshakes the capacity let through. */
  readonly accepted: number;
  /** Handshakes refused as overload, by mode. */
  readonly rejected: Readonly<Record<OverloadMode, number>>;
  /** Live sessions shed because `maxSessions` was lowered below the sessions open. */
  readonly shed: number;
}

/** What the capacity did; `stats().capacity`. Counters run across capacity changes until `resetStats()`. */
export interface PusherCapacityStats {
  /** The capacity in force, defaults filled in; null = unlimited (the default). */
  readonly config: ResolvedCapacity | null;
  /** Handshakes a second it admits now (rises during a warm-up); null = unlimited. */
  readonly rate: number | null;
  /** Tokens in the bucket now (≤ burst); null = unlimited. */
  readonly tokens: number | null;
  /** When the current warm-up began, clock ms; null = unlimited. */
  readonly warmingSince: number | null;
  /** Warm-ups begun: a capacity set, or a fault cleared while one is set. */
  readonly coldStarts: number;
  /** Handshakes the capacity let through. */
  readonly accepted: number;
  /** Handshakes refused as overload, by mode. */
  readonly rejected: Readonly<Record<OverloadMode, number>>;
  /** Handshakes refused as overload, by cause. */
  readonly rejectedBy: Readonly<Record<OverloadCause, number>>;
  /** Live sessions closed (1011 "overloaded") because `maxSessions` was lowered below the sessions open. */
  readonly shed: number;
  /** Handshakes held unanswered by the `stall` mode now. */
  readonly stalledNow: number;
  /** First and last overload refusal, clock ms; null = none yet. */
  readonly firstRejectedAt: number | null;
  readonly lastRejectedAt: number | null;
  /** Seconds in which it decided something, oldest first; only the latest {@link MAX_CAPACITY_SECONDS}. */
  readonly perSecond: readonly CapacitySecond[];
}

/** Seconds of history kept in `perSecond`: an hour of seconds with handshakes in them. */
export const MAX_CAPACITY_SECONDS = 3_600;

type MutableSecond = { -readonly [K in keyof CapacitySecond]: CapacitySecond[K] } & {
  rejected: Record<OverloadMode, number>;
};

const noRejections = (): Record<OverloadMode, number> => ({ 'http-503': 0, 'close-1011': 0, stall: 0 });

/** Counts the capacity's decisions, in total and per second of the clock. */
export class CapacityLedger {
  #coldStarts = 0;
  #accepted = 0;
  #rejected = noRejections();
  #rejectedBy: Record<OverloadCause, number> = { rate: 0, sessions: 0 };
  #shed = 0;
  #firstRejectedAt: number | null = null;
  #lastRejectedAt: number | null = null;
  #seconds: MutableSecond[] = [];

  coldStart(): void {
    this.#coldStarts++;
  }

  accepted(now: number, rate: number): void {
    this.#accepted++;
    this.#second(now, rate).accepted++;
  }

  rejected(now: number, rate: number, mode: OverloadMode, cause: OverloadCause): void {
    this.#rejected[mode]++;
    this.#rejectedBy[cause]++;
    this.#firstRejectedAt ??= now;
    this.#lastRejectedAt = now;
    this.#second(now, rate).rejected[mode]++;
  }

  shed(now: number, rate: number, n: number): void {
    if (n === 0) return;
    this.#shed += n;
    this.#second(now, rate).shed += n;
  }

  reset(): void {
    this.#coldStarts = 0;
    this.#accepted = 0;
    this.#rejected = noRejections();
    this.#rejectedBy = { rate: 0, sessions: 0 };
    this.#shed = 0;
    this.#firstRejectedAt = null;
    this.#lastRejectedAt = null;
    this.#seconds = [];
  }

  /** The counters, with the live parts (`config`, `rate`, …) the caller knows. */
  snapshot(
    live: Pick<PusherCapacityStats, 'config' | 'rate' | 'tokens' | 'warmingSince' | 'stalledNow'>,
  ): PusherCapacityStats {
    return {
      ...live,
      coldStarts: this.#coldStarts,
      accepted: this.#accepted,
      rejected: { ...this.#rejected },
      rejectedBy: { ...this.#rejectedBy },
      shed: this.#shed,
      firstRejectedAt: this.#firstRejectedAt,
      lastRejectedAt: this.#lastRejectedAt,
      perSecond: this.#seconds.map((s) => ({ ...s, rejected: { ...s.rejected } })),
    };
  }

  /** The bucket for `now`'s second, its rate updated; a clock that steps back lands in the latest one. */
  #second(now: number, rate: number): MutableSecond {
    const at = Math.floor(now / 1_000) * 1_000;
    let last = this.#seconds.at(-1);
    if (!last || at > last.at) {
      last = { at, rate, accepted: 0, rejected: noRejections(), shed: 0 };
      this.#seconds.push(last);
      if (this.#seconds.length > MAX_CAPACITY_SECONDS) this.#seconds.shift();
    }
    last.rate = rate;
    return last;
  }
}
