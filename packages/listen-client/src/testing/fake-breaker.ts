import type { BreakerState, ProbeLease } from '@breakwater/breaker-core';
import type { BreakerStateChange, SessionBreaker } from '../breaker/session-breaker.js';

/**
 * An in-process breaker for unit tests, implementing the ClusterBreaker subset
 * a session uses. The test moves its state by hand and reads what it recorded.
 */
export class FakeBreaker implements SessionBreaker {
  readonly name = 'pusher';
  readonly podId: string;
  #state: BreakerState = 'closed';
  #generation = 0;
  #listeners = new Set<(e: BreakerStateChange) => void>();
  successes = 0;
  failures = 0;
  probesAsked = 0;
  /** Whether the next acquireProbe() is granted. */
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
    this.probesAsked++;
    if (this.#state !== 'half_open' || !this.grantProbes) return null;
    return {
      breaker: this.name,
      token: `t${this.#generation}`,
      generation: this.#generation,
      holder: this.podId,
      expiresAt: 0,
    };
  }

  async reportProbe(lease: ProbeLease, outcome: 'success' | 'failure'): Promise<boolean> {
    this.reports.push({ token: lease.token, outcome });
    return lease.generation === this.#generation;
  }

  onStateChange(fn: (e: BreakerStateChange) => void): { dispose(): void } {
    this.#listeners.add(fn);
    return { dispose: () => this.#listeners.delete(fn) };
  }

  /** Moves to `to` and notifies listeners, like a pub/sub transition. */
  set(to: BreakerState, cause = 'test'): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    for (const fn of [...this.#listeners]) fn({ from, to, generation: this.#generation, cause });
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}
