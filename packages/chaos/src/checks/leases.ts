import type { Grant, Recording } from './record.js';

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
 * was sent.
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
  const acceptedPerGen = new Map<string, Set<string>>();
  let lossyReaccepted = 0;
  for (const r of accepted) {
    const k = `${r.incarnation}/${r.generation}`;
    const tokens = acceptedPerGen.get(k) ?? new Set<string>();
    // One lease (one token) accepted twice: a failover lost the first acceptance (see RELIABILITY.md).
    if (tokens.has(r.token)) lossyReaccepted++;
    tokens.add(r.token);
    acceptedPerGen.set(k, tokens);
    const newer = rec.redis.find(
      (s) => s.recvAt < r.sentAt && s.incarnation === r.incarnation && s.generation > r.generation,
    );
    if (newer) {
      violations.push(
        `${r.podId}'s report for generation ${r.generation} was accepted, sent at ${iso(r.sentAt)} after Redis was at generation ${newer.generation} (${iso(newer.recvAt)})`,
      );
    }
  }
  for (const [k, tokens] of acceptedPerGen) {
    if (tokens.size > 1) violations.push(`generation ${k}: reports of ${tokens.size} different leases accepted`);
  }
  return {
    maxConcurrentPerGeneration: maxConcurrent,
    maxGrantsPerGeneration: maxGrants,
    sharedGrants: shared.length,
    duplicateTokenGrants: duplicates,
    lossyReaccepted,
    accepted: accepted.length,
    violations,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);
