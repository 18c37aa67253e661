import type { BreakerState, ProbeLease } from '@breakwater/breaker-core';

/** A breaker transition as the pod runtime reports it. */
export interface BreakerStateChange {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly generation: number;
  readonly cause: string;
}

/**
 * The part of breaker-core's `ClusterBreaker` a session uses; a real
 * `ClusterBreaker` satisfies it structurally. Its contract: `allow()`, `state`
 * and `record*()` do no I/O; `acquireProbe()` and `reportProbe()` never reject.
 */
export interface SessionBreaker {
  readonly name: string;
  readonly podId: string;
  /** True in closed/forced_closed (always in shadow mode); false in open/forced_open/half_open. */
  allow(): boolean;
  readonly state: BreakerState;
  readonly generation: number;
  recordSuccess(): void;
  recordFailure(): void;
  /**
   * In half_open: the one cluster-wide lease, else null. Never rejects. Any number
   * of a pod's sessions may ask: the pod is granted at most one lease at a time —
   * null while it holds one it was granted that is neither reported nor expired.
   */
  acquireProbe(): Promise<ProbeLease | null>;
  /** True if accepted (a stale or expired lease is refused). Never rejects. */
  reportProbe(lease: ProbeLease, outcome: 'success' | 'failure'): Promise<boolean>;
  onStateChange(fn: (e: BreakerStateChange) => void): { dispose(): void };
}

export function isSessionBreaker(value: unknown): value is SessionBreaker {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as Record<string, unknown>;
  return (
    typeof b.allow === 'function' &&
    typeof b.recordSuccess === 'function' &&
    typeof b.recordFailure === 'function' &&
    typeof b.acquireProbe === 'function' &&
    typeof b.reportProbe === 'function' &&
    typeof b.onStateChange === 'function'
  );
}
