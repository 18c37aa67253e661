import {
  type BreakerConfigInput,
  type BreakerState,
  type ClusterBreaker,
  createClusterBreaker,
  type ProbeLease,
} from '@breakwater/breaker-core';
import {
  type BreakerStateChange,
  type ConversationRequest,
  type PusherConnection,
  type PusherDialer,
  PusherSession,
  type PusherSessionOptions,
  type SessionBreaker,
  wsDialer,
} from '@breakwater/listen-client';
import type { ManualScheduler } from '@breakwater/listen-client/testing';
import { expect } from 'vitest';

/** A listen pod: its own ClusterBreaker (own Redis connections), its sessions. */
export interface Pod {
  readonly id: string;
  readonly breaker: ClusterBreaker;
  readonly sessions: PusherSession[];
}

/** One real dial, with the dialling pod's breaker view at that moment. */
export interface DialRecord {
  readonly pod: string;
  readonly state: string;
  readonly generation: number;
}

/**
 * Every real dial the sessions made, the connections they opened, and how many
 * dials are still in flight: a test must not move the manual clock while a real
 * handshake is under way, or the connect timeout would race real I/O.
 */
export class DialLog {
  readonly records: DialRecord[] = [];
  readonly connections: PusherConnection[] = [];
  inFlight = 0;

  /** The default ws dialer, recorded. */
  dialer(pod: Pod): PusherDialer {
    return (url, events, options) => {
      this.records.push({ pod: pod.id, state: pod.breaker.state, generation: pod.breaker.generation });
      this.inFlight++;
      const attempt = wsDialer(url, events, options);
      attempt.ready.then(
        (conn) => {
          this.connections.push(conn);
          this.inFlight--;
        },
        () => this.inFlight--,
      );
      return attempt;
    };
  }

  get length(): number {
    return this.records.length;
  }
}

/**
 * A small breaker config for tests: the default trip rule (20 failures in 30 s)
 * with a short cooldown so a real half-open comes round in real time.
 */
export const FAST_BREAKER: BreakerConfigInput = { cooldownMs: 1_500, probeLeaseMs: 5_000 };

export async function startPod(id: string, redisUrl: string, prefix: string, config = FAST_BREAKER): Promise<Pod> {
  const breaker = await createClusterBreaker({
    name: 'pusher',
    redis: redisUrl,
    prefix: prefix.replace(/:$/, ''),
    podId: id,
    config,
    flushIntervalMs: 20,
    resyncIntervalMs: 100,
  });
  return { id, breaker, sessions: [] };
}

/** Sessions on real sockets with the default ws dialer, timers on `clock`, each dial recorded. */
export function addSession(
  pod: Pod,
  pusherUrl: string,
  clock: ManualScheduler,
  dials: DialLog,
  options: Partial<PusherSessionOptions> = {},
): PusherSession {
  const session = new PusherSession({
    pusherUrl,
    uid: `${pod.id}-user-${pod.sessions.length}`,
    breaker: pod.breaker,
    clock,
    fallback: async (req: ConversationRequest) => `fallback:${req.conversation_id}`,
    dialer: dials.dialer(pod),
    // A real Redis answers in real time; the manual clock must not time it out.
    rampTimeoutMs: 600_000,
    ...options,
  });
  pod.sessions.push(session);
  return session;
}

/**
 * Waits (real time) until `condition` holds, polling; the cap only turns a hang
 * into a failure that says what was awaited. No assertion is on the time taken.
 */
export async function waitFor(condition: () => boolean, what: string, capMs = 20_000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Moves the manual session clock forward in steps until `condition` holds,
 * never while a real dial is in flight (real time passes between steps).
 */
export async function pumpUntil(
  clock: ManualScheduler,
  dials: DialLog,
  stepMs: number,
  condition: () => boolean,
  what: string,
  capMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for: ${what}`);
    await waitFor(() => dials.inFlight === 0, 'dials in flight to settle', capMs);
    // Stop at the next timer: a dial it starts must not be raced by the rest of the step.
    const next = clock.nextAt() ?? Number.POSITIVE_INFINITY;
    await clock.advance(Math.max(0, Math.min(stepMs, next - clock.now())));
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * A pod's real ClusterBreaker, counting what its sessions tell it: every
 * recordSuccess(), recordFailure() and reportProbe() is counted, then passed on.
 */
export class CountingBreaker implements SessionBreaker {
  readonly #inner: SessionBreaker;
  successes = 0;
  failures = 0;
  readonly probeReports: ('success' | 'failure')[] = [];

  constructor(inner: SessionBreaker) {
    this.#inner = inner;
  }

  get name(): string {
    return this.#inner.name;
  }

  get podId(): string {
    return this.#inner.podId;
  }

  get state(): BreakerState {
    return this.#inner.state;
  }

  get generation(): number {
    return this.#inner.generation;
  }

  allow(): boolean {
    return this.#inner.allow();
  }

  recordSuccess(): void {
    this.successes++;
    this.#inner.recordSuccess();
  }

  recordFailure(): void {
    this.failures++;
    this.#inner.recordFailure();
  }

  acquireProbe(): Promise<ProbeLease | null> {
    return this.#inner.acquireProbe();
  }

  reportProbe(lease: ProbeLease, outcome: 'success' | 'failure'): Promise<boolean> {
    this.probeReports.push(outcome);
    return this.#inner.reportProbe(lease, outcome);
  }

  onStateChange(fn: (e: BreakerStateChange) => void): { dispose(): void } {
    return this.#inner.onStateChange(fn);
  }
}
