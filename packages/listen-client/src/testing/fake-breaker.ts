import type { BreakerState, ProbeLease } from '@breakwater/breaker-core';
import type { BreakerStateChange, SessionBreaker } from '../breaker/session-breaker.js';

/**
 * An in-process breaker for unit tests, implementing the ClusterBreaker subset
 * a session uses: one pod's breaker. The test moves its state by hand and reads
 * what it recorded.
 *
 * Its probe lease keeps the per-pod contract of {@link SessionBreaker.acquireProbe}:
 * the pod holds at most one lease, from its grant until it is reported, it expires
 * ({@link expireLease}) or a transition fences it ({@link set}); meanwhile every
 * other acquireProbe() gets null.
 */
export class FakeBreaker implements SessionBreaker {
  readonly name = 'pusher';
  readonly podId: string;
  #state: BreakerState = 'closed';
  #generation = 0;
  #listeners = new Set<(e: BreakerStateChange) => void>();
  /** The lease this pod holds: granted, not yet reported, expired or fenced. */
  #held: ProbeLease | undefined;
  #grantsThisGeneration = 0;
  successes = 0;
  failures = 0;
  probesAsked = 0;
  probesGranted = 0;
  /** Whether the cluster would grant this pod a lease now (false: another pod holds it). */
  grantProbes = true;
  readonly reports: { token: string; outcome: 'success' | 'failure' }[] = [];

  constructor(podId = 'pod-a') {
    this.podId = podId;
  }

  get state(): BreakerState {
    return this.#state;
  }

  get generation(): number {
    return this.#generation;
  }

  allow(): boolean {
    return this.#state === 'closed' || this.#state === 'forced_closed';
  }

  recordSuccess(): void {
    this.successes++;
  }

  recordFailure(): void {
    this.failures++;
  }

  async acquireProbe(): Promise<ProbeLease | null> {
    // Decided before the first await, like the real breaker's in-process check: two
    // sessions asking in the same tick cannot both be granted.
    this.probesAsked++;
    if (this.#state !== 'half_open' || !this.grantProbes || this.#held) return null;
    this.probesGranted++;
    // Unique per grant, like the store's tokens: `t<generation>`, then `t<generation>.<n>`.
    const n = ++this.#grantsThisGeneration;
    const token = n === 1 ? `t${this.#generation}` : `t${this.#generation}.${n}`;
    this.#held = { breaker: this.name, token, generation: this.#generation, holder: this.podId, expiresAt: 0 };
    return this.#held;
  }

  async reportProbe(lease: ProbeLease, outcome: 'success' | 'failure'): Promise<boolean> {
    this.reports.push({ token: lease.token, outcome });
    const live = this.#held?.token === lease.token;
    if (live) this.#held = undefined;
    return live;
  }

  /** The lease this pod holds, if any. */
  get heldLease(): ProbeLease | undefined {
    return this.#held;
  }

  /** The held lease's TTL ran out unreported: the pod may be granted one again. */
  expireLease(): void {
    this.#held = undefined;
  }

  onStateChange(fn: (e: BreakerStateChange) => void): { dispose(): void } {
    this.#listeners.add(fn);
    return { dispose: () => this.#listeners.delete(fn) };
  }

  /** Moves to `to` and notifies listeners, like a pub/sub transition (which fences the held lease). */
  set(to: BreakerState, cause = 'test'): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#held = undefined;
    this.#grantsThisGeneration = 0;
    for (const fn of [...this.#listeners]) fn({ from, to, generation: this.#generation, cause });
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}
