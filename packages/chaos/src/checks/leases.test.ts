import { describe, expect, it } from 'vitest';
import type { FaultKind, FaultSpec } from '../faults/schedule.js';
import { checkLeases } from './leases.js';
import { Recording } from './record.js';
import { seenRollbacks } from './rollbacks.js';

const INC = '1796164620100533';

/** Observer reads every 100 ms over [from, to) of `state/generation` (10 ms round trip). */
function reads(rec: Recording, from: number, to: number, state: string, generation: number): void {
  for (let at = from; at < to; at += 100) {
    rec.redis.push({
      at,
      sentAt: at - 5,
      recvAt: at + 5,
      key: `${state}/${generation}/${INC}`,
      generation,
      incarnation: INC,
    });
  }
}

function fault(rec: Recording, kind: FaultKind, startAt: number, healAt: number): void {
  const spec: FaultSpec = { index: 0, kind, holdMs: 500, pods: [], latencyMs: 0, operator: null, upstreamFails: false };
  rec.faults.push({ spec, startAt, healAt, note: '', error: undefined });
}

/** A shared lease of `generation` granted to `podId` at `grantAt`, its report sent at `sentAt` and accepted. */
function probe(
  rec: Recording,
  podId: string,
  token: string,
  generation: number,
  grantAt: number,
  sentAt: number,
  outcome: 'success' | 'failure' = 'success',
): void {
  const lease = { token, generation, incarnation: INC, source: 'shared' as const };
  rec.grants.push({ t: 'grant', at: grantAt, expiresAt: grantAt + 3_000, held: false, podId, ...lease });
  rec.reports.push({ t: 'report', sentAt, at: sentAt + 10, outcome, accepted: true, podId, ...lease });
}

describe('probe leases across a lossy failover', () => {
  it('a report the new master accepts for the generation it went back to is counted, not a violation', () => {
    const rec = new Recording();
    // Half-open at 2, pod-4's probe closes it (3); the master is SIGKILLed and the
    // sentinels promote the replica, which had pod-4's grant but not the close.
    reads(rec, 0, 1_000, 'half_open', 2);
    probe(rec, 'pod-4', `${INC}.2.1`, 2, 500, 900);
    reads(rec, 1_000, 2_000, 'closed', 3);
    fault(rec, 'redis-kill-restart', 1_900, 5_000);
    // No read answers while there is no master. The new one holds half_open/2; once
    // pod-4's lease lapses it grants pod-13 the next, whose failed probe is accepted
    // 1.3 s after the observer saw 3 and re-opens the breaker: another generation 3.
    probe(rec, 'pod-13', `${INC}.2.2`, 2, 3_100, 3_300, 'failure');
    reads(rec, 3_400, 4_000, 'open', 3);
    expect(seenRollbacks(rec)).toEqual([expect.objectContaining({ fromGeneration: 3, toGeneration: 2, after: 1_900 })]);
    const found = checkLeases(rec);
    expect(found.violations).toEqual([]);
    expect(found.acceptedAfterRollback).toBe(1);
  });

  it('a report sent after the observer saw Redis back at its generation is counted, not a violation', () => {
    const rec = new Recording();
    reads(rec, 0, 1_000, 'half_open', 3);
    probe(rec, 'pod-4', `${INC}.3.1`, 3, 500, 900);
    reads(rec, 1_000, 2_000, 'closed', 4);
    fault(rec, 'failover-kill', 1_900, 4_000);
    reads(rec, 3_000, 4_000, 'half_open', 3);
    probe(rec, 'pod-2', `${INC}.3.2`, 3, 3_200, 3_500);
    reads(rec, 3_600, 4_500, 'closed', 4);
    const found = checkLeases(rec);
    expect(found.violations).toEqual([]);
    expect(found.acceptedAfterRollback).toBe(1);
  });

  it('a report for a generation Redis left and never went back to stays a violation, rollback or not', () => {
    const rec = new Recording();
    reads(rec, 0, 1_000, 'half_open', 2);
    probe(rec, 'pod-4', `${INC}.2.1`, 2, 500, 900);
    reads(rec, 1_000, 2_000, 'closed', 3);
    reads(rec, 2_000, 3_000, 'open', 4);
    fault(rec, 'failover-kill', 2_900, 6_000);
    // The failover lost the trip (4 -> 3), not the close: generation 2 is still behind Redis.
    reads(rec, 4_000, 5_000, 'closed', 3);
    probe(rec, 'pod-13', `${INC}.2.2`, 2, 5_100, 5_300);
    const found = checkLeases(rec);
    expect(found.violations).toEqual([
      "pod-13's report for generation 2 was accepted, sent at 00:00:05.300 after Redis was at generation 3 (00:00:04.905)",
    ]);
    expect(found.acceptedAfterRollback).toBe(0);
  });

  it('a generation going back with no Redis fault is no rollback: the stale report stays a violation', () => {
    const rec = new Recording();
    reads(rec, 0, 1_000, 'half_open', 2);
    reads(rec, 1_000, 2_000, 'closed', 3);
    fault(rec, 'cut-blackhole', 1_900, 4_000);
    reads(rec, 2_000, 3_000, 'half_open', 2);
    probe(rec, 'pod-13', `${INC}.2.2`, 2, 2_100, 2_300);
    expect(seenRollbacks(rec)).toEqual([]);
    expect(checkLeases(rec).violations).toHaveLength(1);
  });
});
