import { describe, expect, it } from 'vitest';
import { convergedAt, stalledWithin } from './convergence.js';
import { divergenceEpisodes } from './divergence.js';
import { APPARATUS_STALLED, APPARATUS_STALLED_PAST_DEADLINE, Recording } from './record.js';

const SHARED = 'closed/3/1796164620100533';
const LOCAL = 'closed/3/m7';
const GRACE = 3_000;

/** Observer reads every 100 ms over [from, to), `slow` ones over the usable round trip. */
function reads(rec: Recording, from: number, to: number, key: string, slow: (at: number) => boolean = () => false) {
  for (let at = from; at < to; at += 100) {
    const rtt = slow(at) ? 400 : 10;
    rec.redis.push({ at, sentAt: at - rtt / 2, recvAt: at + rtt / 2, key, generation: 3, incarnation: '1' });
  }
}
function pod(rec: Recording, views: Array<[number, string]>): void {
  rec.beginLife('pod-0', 0);
  rec.views.set(
    'pod-0',
    views.map(([at, key]) => ({ at, key })),
  );
}
const longest = (rec: Recording) => Math.max(0, ...divergenceEpisodes(rec, 200, GRACE).map((e) => e.ms));

describe('divergence', () => {
  it('a pod on its local fallback while its path answers in time diverges for as long as it stays', () => {
    const rec = new Recording();
    reads(rec, 1_000, 10_000, SHARED);
    pod(rec, [
      [0, SHARED],
      [2_050, LOCAL],
      [6_050, SHARED],
    ]);
    // From the first read it disagrees at to its own report of the shared view (Redis's key unchanged).
    expect(longest(rec)).toBe(3_950);
  });

  it('ends an episode at the view that agreed between two unusable reads of the same key', () => {
    const rec = new Recording();
    reads(rec, 1_000, 10_000, SHARED, (at) => at > 2_000 && at < 6_000);
    pod(rec, [
      [0, SHARED],
      [1_950, LOCAL],
      [3_020, SHARED],
      [3_500, LOCAL],
      [5_020, SHARED],
    ]);
    const episodes = divergenceEpisodes(rec, 200, GRACE).map((e) => [e.from, e.ms]);
    expect(episodes).toEqual([
      [2_000, 1_020],
      [3_500, 1_520],
    ]);
  });

  it('gives a pod its reconnect (backoff cap + connect) to rejoin after a slow path, and no longer', () => {
    const rec = new Recording();
    reads(rec, 1_000, 20_000, SHARED);
    rec.addWindow('pod-0', { from: 2_000, to: 4_000, why: 'slow path' });
    pod(rec, [
      [0, SHARED],
      [2_100, LOCAL],
      [6_550, SHARED],
    ]);
    expect(longest(rec)).toBe(0);
    const late = new Recording();
    reads(late, 1_000, 20_000, SHARED);
    late.addWindow('pod-0', { from: 2_000, to: 4_000, why: 'slow path' });
    pod(late, [
      [0, SHARED],
      [2_100, LOCAL],
      [9_550, SHARED],
    ]);
    // Judged from the end of the grace (7 s) to its report of the shared view.
    expect(longest(late)).toBe(2_550);
  });

  it("does not judge a pod while the orchestrator's loop stalled", () => {
    const rec = new Recording();
    reads(rec, 1_000, 10_000, SHARED);
    rec.stalls.push({ from: 2_000, to: 5_000, why: APPARATUS_STALLED });
    pod(rec, [
      [0, SHARED],
      [2_050, LOCAL],
      [5_500, SHARED],
    ]);
    expect(longest(rec)).toBe(500);
    // A stall past the breaker's deadline sent the pod to its fallback: it is rejoining for 3 s after.
    const past = new Recording();
    reads(past, 1_000, 10_000, SHARED);
    past.stalls.push({ from: 2_000, to: 5_000, why: APPARATUS_STALLED_PAST_DEADLINE });
    pod(past, [
      [0, SHARED],
      [2_050, LOCAL],
      [5_500, SHARED],
    ]);
    expect(longest(past)).toBe(0);
  });
});

describe('convergence', () => {
  it('leaves out the time the orchestrator stalled, overlaps once', () => {
    const rec = new Recording();
    rec.stalls.push(
      { from: 1_000, to: 2_000, why: APPARATUS_STALLED },
      { from: 1_500, to: 2_500, why: APPARATUS_STALLED },
    );
    expect(stalledWithin(rec, 0, 10_000)).toBe(1_500);
    expect(stalledWithin(rec, 2_000, 10_000)).toBe(500);
  });

  it('is the first read after the heal at which every pod agrees', () => {
    const rec = new Recording();
    reads(rec, 1_000, 10_000, SHARED);
    pod(rec, [
      [0, LOCAL],
      [4_020, SHARED],
    ]);
    const fault = { spec: {} as never, startAt: 1_000, healAt: 2_000, note: '', error: undefined };
    expect(convergedAt(rec, fault, 10_000, GRACE)).toBe(4_100);
  });
});
