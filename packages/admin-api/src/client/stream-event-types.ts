import type { BreakerAction, BreakerSnapshot, BreakerState } from '@breakwater/breaker-core';

/*
 * The data of the events `GET /v1/events` sends (the README's "The event stream"):
 * `snapshot` is a BreakerSnapshot, `removed` is `{ name }`, and these. Type-only,
 * for clients; the server builds them in events/stream-events.ts.
 */

/** The `transition` field of a `transition` event. */
export interface TransitionFields {
  readonly name: string;
  readonly action: BreakerAction;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** What callers obey afterwards; null on a replayed transition (the audit log does not keep it). */
  readonly state: BreakerState | null;
  readonly generation: number;
  readonly at: number;
  readonly actor: string;
  readonly reason: string;
  /** When the override in force afterwards expires; null when none is, or on a replayed transition. */
  readonly overrideExpiresAt: number | null;
}

/** The data of a `transition` event. */
export interface TransitionEventBody {
  readonly transition: TransitionFields;
  /** The breaker read right after it: null when replayed from the audit log, or when that read failed. */
  readonly snapshot: BreakerSnapshot | null;
  /** True when sent from the audit log on a reconnect (`Last-Event-ID`), not live. */
  readonly replayed: boolean;
}

/** The data of the `ready` event that ends a stream's opening. */
export interface ReadyEventBody {
  /** The breakers this stream follows, sorted (each had a `snapshot` event just before). */
  readonly breakers: string[];
  /** More breakers exist than the server follows (maxListedBreakers). */
  readonly truncated: boolean;
  /** A `Last-Event-ID` was understood and what was missed since was replayed. */
  readonly resumed: boolean;
  /** Breakers whose missed transitions could not all be replayed (more than the replay bound, or trimmed from the log): only their snapshot says where they are now. */
  readonly gaps: string[];
  /** A comment line comes at least this often, ms. */
  readonly heartbeatMs: number;
}
