/**
 * Permission for one pod, cluster-wide, to probe a half-open breaker. Bound to
 * the generation it was granted in: any transition invalidates it (fencing),
 * and it lapses at `expiresAt` so a dead holder cannot block recovery.
 */
export interface ProbeLease {
  readonly breaker: string;
  /** Opaque; present it to reportProbe(). */
  readonly token: string;
  readonly generation: number;
  readonly holder: string;
  /** Store clock, ms since epoch. */
  readonly expiresAt: number;
}

export type ProbeOutcome = 'success' | 'failure';
