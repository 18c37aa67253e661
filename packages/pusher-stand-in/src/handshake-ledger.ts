/**
 * Upper bounds of the handshake latency histogram, ms: `buckets[i]` counts latencies in
 * (`HANDSHAKE_LATENCY_BOUNDS_MS[i - 1]`, `HANDSHAKE_LATENCY_BOUNDS_MS[i]`]; one more bucket
 * past the last bound counts the rest. Fine where connect timeouts live (1 – 10 s).
 */
export const HANDSHAKE_LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 5, 10, 25, 50, 100, 250, 500, 750, 1_000, 1_500, 2_000, 3_000, 4_000, 5_000, 7_500, 10_000, 30_000,
]);

/** Seconds of history kept in `perSecond`: an hour of seconds with handshakes answered in them. */
export const MAX_HANDSHAKE_SECONDS = 3_600;

/** Latencies of a set of handshakes: how many, and how long the stand-in took to answer them. */
export interface HandshakeLatencySummary {
  /** Handshakes answered. */
  readonly count: number;
  /**
   * Median and 99th percentile, ms: the upper bound of the histogram bucket that holds them
   * (at most `maxMs`), so an upper estimate; null with no handshake.
   */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The slowest, ms (exact); null with no handshake. */
  readonly maxMs: number | null;
}

/** One second (of the stand-in's clock) in which handshakes were answered. */
export interface HandshakeSecond extends HandshakeLatencySummary {
  /** Start of the second, clock ms (a multiple of 1,000): when they were answered. */
  readonly at: number;
}

/**
 * How long the stand-in took to answer handshakes: from the upgrade request arriving to the
 * stand-in accepting it (completing the upgrade), on the stand-in's clock. Counts every
 * handshake the stand-in got to accept: sessions (`connections`) and those whose client had
 * already given up (`abandonedHandshakes`). `stats().handshakeLatency`.
 */
export interface HandshakeLatencyStats extends HandshakeLatencySummary {
  /** Counts per bucket of {@link HANDSHAKE_LATENCY_BOUNDS_MS}, plus one past the last bound. */
  readonly buckets: readonly number[];
  /** Seconds in which handshakes were answered, oldest first; only the latest {@link MAX_HANDSHAKE_SECONDS}. */
  readonly perSecond: readonly HandshakeSecond[];
}

interface Histogram {
  readonly buckets: number[];
  count: number;
  maxMs: number;
}

const newHistogram = (): Histogram => ({
  buckets: new Array<number>(HANDSHAKE_LATENCY_BOUNDS_MS.length + 1).fill(0),
  count: 0,
  maxMs: 0,
});

/** Counts handshake latencies in total and per second, in fixed buckets: bounded whatever the traffic. */
export class HandshakeLedger {
  #total = newHistogram();
  #seconds: (Histogram & { readonly at: number })[] = [];

  /** A handshake that arrived at `arrivedAt` was answered at `now` (clock ms; a clock that steps back counts 0). */
  answered(arrivedAt: number, now: number): void {
    const ms = Math.max(0, now - arrivedAt);
    record(this.#total, ms);
    record(this.#second(now), ms);
  }

  reset(): void {
    this.#total = newHistogram();
    this.#seconds = [];
  }

  snapshot(): HandshakeLatencyStats {
    return {
      ...summary(this.#total),
      buckets: [...this.#total.buckets],
      perSecond: this.#seconds.map((s) => ({ at: s.at, ...summary(s) })),
    };
  }

  /** The histogram of `now`'s second; a clock that steps back lands in the latest one. */
  #second(now: number): Histogram {
    const at = Math.floor(now / 1_000) * 1_000;
    let last = this.#seconds.at(-1);
    if (!last || at > last.at) {
      last = { at, ...newHistogram() };
      this.#seconds.push(last);
      if (this.#seconds.length > MAX_HANDSHAKE_SECONDS) this.#seconds.shift();
    }
    return last;
  }
}

function record(h: Histogram, ms: number): void {
  let i = 0;
  while (i < HANDSHAKE_LATENCY_BOUNDS_MS.length && ms > (HANDSHAKE_LATENCY_BOUNDS_MS[i] as number)) i++;
  h.buckets[i] = (h.buckets[i] as number) + 1;
  h.count++;
  if (ms > h.maxMs) h.maxMs = ms;
}

function summary(h: Histogram): HandshakeLatencySummary {
  if (h.count === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  return { count: h.count, p50Ms: quantile(h, 0.5), p99Ms: quantile(h, 0.99), maxMs: h.maxMs };
}

/** The upper bound of the bucket holding the `q` quantile, at most the maximum seen (which it is past the last bound). */
function quantile(h: Histogram, q: number): number {
  const bound = HANDSHAKE_LATENCY_BOUNDS_MS[quantileBucket(h.buckets, q)];
  return bound === undefined ? h.maxMs : Math.min(bound, h.maxMs);
}

/**
 * The `q` quantile (0 < q ≤ 1) of latencies counted in `buckets` (as in
 * {@link HandshakeLatencyStats.buckets}, or the difference of two snapshots' buckets: the
 * handshakes answered between them), ms: the upper bound of the bucket that holds it; in the
 * bucket past the last bound, that bound (at least that long). Null with no handshake.
 */
export function latencyQuantile(buckets: readonly number[], q: number): number | null {
  if (!buckets.some((n) => n > 0)) return null;
  const last = HANDSHAKE_LATENCY_BOUNDS_MS.length - 1;
  return HANDSHAKE_LATENCY_BOUNDS_MS[Math.min(quantileBucket(buckets, q), last)] as number;
}

/** The index of the bucket holding the `q` quantile (the last one if the counts fall short). */
function quantileBucket(buckets: readonly number[], q: number): number {
  const count = buckets.reduce((a, b) => a + b, 0);
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] as number;
    if (seen >= rank) return i;
  }
  return buckets.length - 1;
}
