import { describe, expect, it } from 'vitest';
import { WarmUpBucket } from './warm-up-bucket.js';

const T0 = 1_800_000_000_000;
const COLD = { initialRate: 100, maxRate: 400, warmUpMs: 30_000, burst: 50 };

/** Takes at every `stepMs` from `from` to `to` (inclusive) and counts what was admitted. */
function drain(bucket: WarmUpBucket, from: number, to: number, stepMs = 1): number {
  let admitted = 0;
  for (let t = from; t <= to; t += stepMs) while (bucket.take(t)) admitted++;
  return admitted;
}

describe('WarmUpBucket', () => {
  it('rises linearly from initialRate to maxRate over warmUpMs, then holds', () => {
    const bucket = new WarmUpBucket(COLD, T0);
    expect(bucket.rateAt(T0)).toBe(100);
    expect(bucket.rateAt(T0 + 10_000)).toBe(200);
    expect(bucket.rateAt(T0 + 15_000)).toBe(250);
    expect(bucket.rateAt(T0 + 30_000)).toBe(400);
    expect(bucket.rateAt(T0 + 600_000)).toBe(400);
    expect(bucket.rateAt(T0 - 5_000)).toBe(100); // a clock behind the start: still cold
  });

  it('is warm at once with warmUpMs 0', () => {
    const bucket = new WarmUpBucket({ ...COLD, warmUpMs: 0 }, T0);
    expect(bucket.rateAt(T0)).toBe(400);
    expect(drain(bucket, T0, T0)).toBe(50);
    expect(bucket.tokensAt(T0 + 10)).toBeCloseTo(4, 9);
  });

  it('starts full: burst handshakes back to back, then none until a token is earned', () => {
    const bucket = new WarmUpBucket(COLD, T0);
    expect(drain(bucket, T0, T0)).toBe(50);
    expect(bucket.take(T0)).toBe(false);
    expect(bucket.take(T0 + 9)).toBe(false); // 100/s: 0.9 of a token
    expect(bucket.take(T0 + 10)).toBe(true);
    expect(bucket.take(T0 + 10)).toBe(false);
  });

  it('refills by the integral of the rising rate', () => {
    const bucket = new WarmUpBucket({ initialRate: 10, maxRate: 20, warmUpMs: 1_000, burst: 100 }, T0);
    expect(drain(bucket, T0, T0)).toBe(100);
    // ∫ over 0–100 ms of 10 → 11 a second = 1.05 tokens; a flat 10/s would give 1.0.
    expect(bucket.tokensAt(T0 + 100)).toBeCloseTo(1.05, 9);
    expect(bucket.take(T0 + 100)).toBe(true);
    expect(bucket.tokensAt(T0 + 100)).toBeCloseTo(0.05, 9);
    // 100–900 ms at 11 → 19 a second: 12 tokens.
    expect(drain(bucket, T0 + 900, T0 + 900)).toBe(12);
    // Across the end of the warm-up: 900–1,000 ms at 19 → 20 (1.95), then 1,000–1,100 ms at 20 (2.0).
    expect(bucket.tokensAt(T0 + 1_100)).toBeCloseTo(0.05 + 1.95 + 2, 9);
  });

  it('admits burst + the area under the rate: 50 + (100 + 400) / 2 × 30 s over the warm-up', () => {
    const bucket = new WarmUpBucket(COLD, T0);
    const warming = drain(bucket, T0, T0 + 30_000);
    expect(warming).toBe(50 + 7_500);
    expect(drain(bucket, T0 + 30_001, T0 + 40_000)).toBe(4_000); // warm: 400 a second
  });

  it('caps the bucket at burst after a quiet spell', () => {
    const bucket = new WarmUpBucket(COLD, T0);
    drain(bucket, T0, T0);
    expect(bucket.tokensAt(T0 + 600_000)).toBe(50);
    expect(drain(bucket, T0 + 600_000, T0 + 600_000)).toBe(50);
  });

  it('restart() is a cold start: initialRate again and a full bucket', () => {
    const bucket = new WarmUpBucket(COLD, T0);
    drain(bucket, T0, T0 + 60_000, 10);
    expect(bucket.rateAt(T0 + 60_000)).toBe(400);
    bucket.restart(T0 + 60_000);
    expect(bucket.since).toBe(T0 + 60_000);
    expect(bucket.rateAt(T0 + 60_000)).toBe(100);
    expect(bucket.tokensAt(T0 + 60_000)).toBe(50);
    expect(bucket.rateAt(T0 + 75_000)).toBe(250);
  });

  it('earns nothing from a clock that steps back, and does not pay it twice when it catches up', () => {
    const bucket = new WarmUpBucket({ ...COLD, burst: 1 }, T0);
    expect(bucket.take(T0 + 1_000)).toBe(true);
    expect(bucket.take(T0 + 500)).toBe(false);
    expect(bucket.take(T0 + 1_009)).toBe(false);
    expect(bucket.take(T0 + 1_010)).toBe(true); // ~110/s at 1 s: one token in 9.1 ms
  });
});
