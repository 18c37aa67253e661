import { describe, expect, it } from 'vitest';
import {
  HANDSHAKE_LATENCY_BOUNDS_MS,
  HandshakeLedger,
  latencyQuantile,
  MAX_HANDSHAKE_SECONDS,
} from './handshake-ledger.js';

describe('HandshakeLedger', () => {
  it('counts latencies in fixed buckets; percentiles are bucket bounds capped by the exact maximum', () => {
    const ledger = new HandshakeLedger();
    for (let i = 0; i < 98; i++) ledger.answered(0, 40); // (25, 50]
    ledger.answered(0, 2_200); // (2,000, 3,000]
    ledger.answered(100, 45_100); // past the last bound: 45 s
    const stats = ledger.snapshot();
    expect(stats).toMatchObject({ count: 100, p50Ms: 50, p99Ms: 3_000, maxMs: 45_000 });
    expect(stats.buckets.length).toBe(HANDSHAKE_LATENCY_BOUNDS_MS.length + 1);
    expect(stats.buckets[HANDSHAKE_LATENCY_BOUNDS_MS.indexOf(50)]).toBe(98);
    expect(stats.buckets.at(-1)).toBe(1);
    // One slow handshake alone: its percentiles are its exact latency, past the last bound too.
    const one = new HandshakeLedger();
    one.answered(0, 45_000);
    expect(one.snapshot()).toMatchObject({ p50Ms: 45_000, p99Ms: 45_000, maxMs: 45_000 });
  });

  it('keeps a bounded per-second history on the clock, and a clock that steps back lands in the latest second', () => {
    const ledger = new HandshakeLedger();
    ledger.answered(0, 1_500);
    ledger.answered(1_900, 2_000);
    ledger.answered(0, 1_200); // the clock stepped back: counted in the latest second
    expect(ledger.snapshot().perSecond).toEqual([
      { at: 1_000, count: 1, p50Ms: 1_500, p99Ms: 1_500, maxMs: 1_500 },
      { at: 2_000, count: 2, p50Ms: 100, p99Ms: 1_200, maxMs: 1_200 },
    ]);
    for (let s = 3; s < MAX_HANDSHAKE_SECONDS + 10; s++) ledger.answered(s * 1_000, s * 1_000);
    const perSecond = ledger.snapshot().perSecond;
    expect(perSecond).toHaveLength(MAX_HANDSHAKE_SECONDS);
    expect(perSecond.at(-1)?.at).toBe((MAX_HANDSHAKE_SECONDS + 9) * 1_000);
  });

  it('latencyQuantile reads a difference of two snapshots: the handshakes answered between them', () => {
    const ledger = new HandshakeLedger();
    ledger.answered(0, 10);
    const before = ledger.snapshot().buckets;
    ledger.answered(0, 3_500);
    ledger.answered(0, 60_000);
    const between = ledger.snapshot().buckets.map((n, i) => n - (before[i] ?? 0));
    expect(latencyQuantile(between, 0.5)).toBe(4_000);
    expect(latencyQuantile(between, 0.99)).toBe(30_000); // past the last bound: at least that
    expect(
      latencyQuantile(
        before.map(() => 0),
        0.99,
      ),
    ).toBeNull();
  });
});
