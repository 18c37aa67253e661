import type { Grant, Recording, RedisSample, Report } from './record.js';
import { type Rollback, seenRollbacks } from './rollbacks.js';

export interface LeaseFindings {
  /** Most leases (distinct tokens) held at one instant in one generation, fleet-wide. */
  readonly maxConcurrentPerGeneration: number;
  /** Most leases granted in one generation (one after another, e.g. after a holder died). */
  readonly maxGrantsPerGeneration: number;
  readonly sharedGrants: number;
  /** The same token granted twice (a failover that lost the grant): counted, not a violation. */
  readonly duplicateTokenGrants: number;
  /** One lease's report accepted twice (the first acceptance lost in a failover): counted, not a violation. */
  readonly lossyReaccepted: number;
  /**
   * Reports accepted for a generation the observer had seen Redis leave, but that a
   * lossy failover took Redis back to (a rollback the observer saw): counted, not a violation.
   */
  readonly acceptedAfterRollback: number;
  /** Reports of shared leases accepted. */
  readonly accepted: number;
  readonly violations: string[];
}

/**
 * Probe leases from the shared store (the local fallback's leases are each pod's own):
 * (a) at most one holder per generation at any moment — a lease is held from its grant
 * until its holder reports it or it lapses (`expiresAt`, Redis time), whichever is first,
 * a holder SIGKILLed holds it until it lapses; two distinct tokens of one generation
 * whose holds overlap are a violation. The same token granted again (a lossy failover
 * re-granting the lease it lost, see RELIABILITY.md) is one lease, counted apart.
 * (b) no stale generation's report accepted: reports of at most one lease accepted per
 * generation (the same lease's report accepted again after a failover lost the first
 * acceptance is counted apart), and none for a generation the observer had already seen Redis leave before the report
 * was sent — unless the observer then saw Redis go back (a lossy failover, `seenRollbacks`):
 * a report the new master accepted for the generation it holds again is correct, and is
 * counted apart. A generation Redis left and was never seen going back to stays a violation.
 */
export function checkLeases(rec: Recording): LeaseFindings {
  const violations: string[] = [];
  const shared = rec.grants.filter((g) => g.source === 'shared');
  const byGen = new Map<string, Grant[]>();
  for (const g of shared) {
    const k = `${g.incarnation}/${g.generation}`;
    byGen.set(k, [...(byGen.get(k) ?? []), g]);
  }
  const reportOf = new Map<string, number>();
  for (const r of rec.reports) if (!reportOf.has(r.token)) reportOf.set(r.token, r.sentAt);
  let maxConcurrent = 0;
  let maxGrants = 0;
  let duplicates = 0;
  for (const [gen, grants] of byGen) {
    const byToken = new Map<string, Grant>();
    for (const g of grants) {
      if (byToken.has(g.token)) duplicates++;
      else byToken.set(g.token, g);
    }
    const holds = [...byToken.values()].map((g) => ({
      g,
      from: g.at,
      to: Math.min(reportOf.get(g.token) ?? Number.POSITIVE_INFINITY, g.expiresAt),
    }));
    maxGrants = Math.max(maxGrants, holds.length);
    for (const h of holds) {
      const at = holds.filter((o) => o.from <= h.from && h.from < o.to);
      maxConcurrent = Math.max(maxConcurrent, at.length);
      if (at.length > 1) {
        violations.push(
          `generation ${gen}: ${at.length} leases held at once (${at.map((o) => `${o.g.podId} from ${iso(o.from)}`).join(', ')})`,
        );
      }
    }
  }
  // A report is the shared store's when its lease was (the grant says where it came from).
  const grantedShared = new Set(shared.map((g) => g.token));
  const accepted = rec.reports.filter((r) => r.accepted && grantedShared.has(r.token));
  const acceptedPerGen = new Map<string, Report[]>();
  let lossyReaccepted = 0;
  const rollbacks = seenRollbacks(rec);
  // Reports that would be violations but for a rollback the observer saw.
  const excused = new Set<Report>();
  const stale = new Set<Report>();
  for (const r of accepted) {
    const k = `${r.incarnation}/${r.generation}`;
    const reports = acceptedPerGen.get(k) ?? [];
    // One lease (one token) accepted twice: a failover lost the first acceptance (see RELIABILITY.md).
    if (reports.some((o) => o.token === r.token)) lossyReaccepted++;
    reports.push(r);
    acceptedPerGen.set(k, reports);
    // The last read before the report was sent where Redis was past its generation.
    let newer: RedisSample | undefined;
    for (const s of rec.redis) {
      const past = s.recvAt < r.sentAt && s.incarnation === r.incarnation && s.generation > r.generation;
      if (past && (!newer || s.recvAt > newer.recvAt)) newer = s;
    }
    if (!newer) continue;
    const left = newer;
    if (rollbacks.some((b) => wentBackTo(b, left, r))) excused.add(r);
    else {
      stale.add(r);
      violations.push(
        `${r.podId}'s report for generation ${r.generation} was accepted, sent at ${iso(r.sentAt)} after Redis was at generation ${newer.generation} (${iso(newer.recvAt)})`,
      );
    }
  }
  for (const [k, reports] of acceptedPerGen) {
    // A rollback between two acceptances starts the generation again (a new lease, a new report).
    const eras: Array<Set<string>> = [new Set<string>()];
    let prev: Report | undefined;
    for (const r of [...reports].sort((a, b) => a.sentAt - b.sentAt)) {
      const tokens = eras.at(-1) as Set<string>;
      const first = prev;
      if (first && !tokens.has(r.token) && rollbacks.some((b) => between(b, first, r))) {
        eras.push(new Set([r.token]));
        if (!stale.has(r)) excused.add(r);
      } else tokens.add(r.token);
      prev = r;
    }
    for (const tokens of eras) {
      if (tokens.size > 1) violations.push(`generation ${k}: reports of ${tokens.size} different leases accepted`);
    }
  }
  return {
    maxConcurrentPerGeneration: maxConcurrent,
    maxGrantsPerGeneration: maxGrants,
    sharedGrants: shared.length,
    duplicateTokenGrants: duplicates,
    lossyReaccepted,
    acceptedAfterRollback: excused.size,
    accepted: accepted.length,
    violations,
  };
}

/**
 * Whether rollback `b` can have taken Redis back to the report's generation after the
 * read that saw Redis past it (`newer`) and before the report was answered: the rollback
 * came after that read, the report was answered after the Redis fault began, and either the
 * report's generation is at or above the one Redis went back to (Redis holds it again, or
 * climbs back to it), or the report was sent before the observer saw where Redis went back
 * to (a replica that was further behind went back further: the observer's read after it
 * only bounds the rolled-back-to generation from above).
 */
function wentBackTo(b: Rollback, newer: RedisSample, r: Report): boolean {
  return (
    b.incarnation === r.incarnation &&
    newer.recvAt <= b.beforeReadAt &&
    r.at > b.after &&
    (r.generation >= b.toGeneration || r.sentAt < b.seenAt)
  );
}

/**
 * Whether rollback `b` can lie between two acceptances of one generation number: it took
 * Redis back from past that generation, after the first was sent and before the second
 * was answered. The generation after it is another one under the same number.
 */
function between(b: Rollback, first: Report, second: Report): boolean {
  return (
    b.incarnation === second.incarnation &&
    b.fromGeneration > second.generation &&
    first.sentAt < b.seenAt &&
    second.at > b.after
  );
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);
