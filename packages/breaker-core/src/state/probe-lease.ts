/**
 * Permission for one pod, cluster-wide, to probe a half-open breaker. Bound to
 * the generation it was granted in: any transition invalidates it (fencing),
 * and it lapses at `expiresAt` so a dead holder cannot block recovery.
 */
export interface ProbeLease {
  readonly breaker: string;
  /**
   * Opaque (at most 64 characters); present it to reportProbe(). Never repeats for
   * a breaker, even one re-created after its store lost it: it carries the
   * breaker's incarnation as well as the generation.
   */
  readonly token: string;
  readonly generation: number;
  readonly holder: string;
  /** Store clock, ms since epoch. */
  readonly expiresAt: number;
}

export type ProbeOutcome = 'success' | 'failure';
