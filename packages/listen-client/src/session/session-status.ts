/**
 * A session's connection to pusher, as one discriminated union. Changed only by
 * the session's single `setStatus()`, which logs `from -> to`, updates the
 * `pusher_sessions{state}` gauge and emits `onStateChange`.
 *
 * ```
 *  idle ──start()──▶ connecting ──ok──▶ connected ◀─────────────┐
 *                       │ fail / breaker not allowing            │ ok
 *                       ▼                                        │
 *   connected ──lost──▶ reconnect_backoff ──wait, ramp──▶ connecting (quick retries)
 *                       │ 6th failed attempt, or breaker open    │
 *                       ▼                                        │
 *                    degraded ──cooldown / breaker closed + ramp / lease──▶ half_open_probe
 *                       ▲                                        │ fail
 *                       └────────────────────────────────────────┘
 *  any ──close()──▶ closed
 * ```
 *
 * A first connect the ramp throttles goes `connecting → reconnect_backoff` with
 * `booked` set, and dials at that slot.
 */
export type SessionStatus =
  | { readonly value: 'idle' }
  | {
      readonly value: 'connecting';
      /** 1 for the first connect; n for the n-th attempt since the connection was lost. */
      readonly attempt: number;
    }
  | { readonly value: 'connected'; readonly since: number }
  | {
      readonly value: 'reconnect_backoff';
      /** Failed attempts since the connection was lost (a short-lived connection does not reset it). */
      readonly failures: number;
      /** When the next attempt may start (scheduler time, ms). */
      readonly retryAt: number;
      /**
       * The ramp has booked `retryAt` for this attempt (a first connect it throttled):
       * the attempt dials then without asking the ramp again.
       */
      readonly booked?: boolean;
    }
  | {
      readonly value: 'degraded';
      readonly failures: number;
      readonly since: number;
      /** When the session next considers a probe (scheduler time, ms). */
      readonly nextProbeAt: number;
    }
  | {
      readonly value: 'half_open_probe';
      readonly failures: number;
      /** True when this probe holds the cluster breaker's half-open lease. */
      readonly lease: boolean;
    }
  | { readonly value: 'closed'; readonly since: number };

export type SessionState = SessionStatus['value'];

export const SESSION_STATES: readonly SessionState[] = [
  'idle',
  'connecting',
  'connected',
  'reconnect_backoff',
  'degraded',
  'half_open_probe',
  'closed',
];

/** What `onStateChange` listeners receive. */
export interface SessionStateChange {
  readonly from: SessionState;
  readonly to: SessionState;
  readonly status: SessionStatus;
  /** Why, e.g. `dial_failed`, `breaker_open`, `pong_timeout`, `probe_succeeded`. */
  readonly cause: string;
  /** Scheduler time, ms. */
  readonly at: number;
}
