import type { BreakerConfig, BreakerMode } from '../config/breaker-config.js';

/** States the automatic rules move between. */
export type AutomaticState = 'closed' | 'open' | 'half_open';
/** Manual overrides set by an operator, each with a reason, an actor and an expiry. */
export type OverrideMode = 'forced_open' | 'forced_closed';
/** What callers see: an active override wins over the automatic state. */
export type BreakerState = AutomaticState | OverrideMode;

export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open', 'forced_open', 'forced_closed'];

/** Whether a state lets ordinary calls through (half-open lets only the probe through). */
export function admitsCalls(state: BreakerState): boolean {
  return state === 'closed' || state === 'forced_closed';
}

export interface BreakerOverride {
  readonly mode: OverrideMode;
  readonly reason: string;
  readonly actor: string;
  /** When it was set, ms since epoch on the store's clock. */
  readonly setAt: number;
  /** When it lapses and the breaker returns to automatic, ms since epoch on the store's clock. */
  readonly expiresAt: number;
}

/** The live probe lease as everyone may see it (the token stays with its holder). */
export interface ProbeHolder {
  readonly holder: string;
  readonly expiresAt: number;
}

/** Failures and successes currently inside the sliding window. */
export interface WindowCounts {
  readonly failures: number;
  readonly successes: number;
  /** Distinct pods that reported at least one failure within the window. */
  readonly failingPods: number;
}

/** One breaker as the store sees it at `at` (store clock). */
export interface BreakerSnapshot {
  readonly name: string;
  /** The state callers obey: the override if one is active, else `automaticState`. */
  readonly state: BreakerState;
  readonly automaticState: AutomaticState;
  /** Bumped by every transition and manual action; results reported under an older one are refused. */
  readonly generation: number;
  /**
   * Which life of the breaker this is. A store that loses a breaker (Redis restarted
   * without its data) re-creates it at generation 0 with a new incarnation, so
   * generations are ordered only within one incarnation. Set by the built-in stores
   * (Redis: its `TIME` in µs when the breaker was created; memory: `m<n>`, new on every
   * creation and restore); a store of yours may leave it out (then every snapshot is
   * taken to be of one life).
   */
  readonly incarnation?: string;
  readonly mode: BreakerMode;
  readonly window: WindowCounts;
  /** When the current opening began (null unless open or half-open). */
  readonly openedAt: number | null;
  /** When `open` turns `half_open` (null unless open). */
  readonly cooldownUntil: number | null;
  /** Consecutive failed probes since the last close: drives cooldown escalation. */
  readonly probeFailures: number;
  /** Successful probes in the current half-open period. */
  readonly halfOpenSuccesses: number;
  readonly probe: ProbeHolder | null;
  readonly override: BreakerOverride | null;
  readonly configHash: string;
  readonly config: BreakerConfig;
  /** The store's clock when this snapshot was taken, ms since epoch. */
  readonly at: number;
}

/** Why an audit entry or transition happened. */
export type BreakerAction =
  | 'trip'
  | 'half_open'
  | 'close'
  | 'reopen'
  | 'force_open'
  | 'force_close'
  | 'clear_override'
  | 'override_expired'
  | 'reset'
  | 'config_update';

/**
 * A transition or manual action, as appended to the audit stream and published
 * on the breaker's channel. `from`/`to` name the states that changed: automatic
 * transitions record automatic states (even while an override masks them);
 * override actions record the effective states. `state` is always what callers
 * obey afterwards.
 */
export interface BreakerTransition {
  readonly name: string;
  readonly action: BreakerAction;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly state: BreakerState;
  readonly generation: number;
  /**
   * When it took effect, ms since epoch on the store's clock: the time of the call
   * that made it, except `override_expired`, which carries the override's
   * `expiresAt` (the call that noticed may come later; time-driven `half_open`
   * is stamped when a call applied it).
   */
  readonly at: number;
  readonly actor: string;
  readonly reason: string;
  /**
   * When the override in force after this transition expires (store clock, ms), or null when
   * none is: so a pod that hears a force-open or force-close knows its end without a snapshot.
   */
  readonly overrideExpiresAt: number | null;
  /**
   * The id of the transition's audit entry (AuditEntry.id), on transitions delivered by
   * `subscribe()`, so a subscriber can tell where it is in the audit log. Absent from the
   * transitions in a call's reply, and from messages published by stores before it was added.
   */
  readonly auditId?: string;
  /**
   * The incarnation of the breaker it happened to (see BreakerSnapshot): a breaker
   * re-created after the store lost it restarts at generation 0, so a pod orders
   * messages by generation within one incarnation only. Absent from messages of
   * scripts before it was added, and from stores that do not set it.
   */
  readonly incarnation?: string;
}

/** A transition as read back from the audit log, with the log's id. */
export interface AuditEntry
  extends Omit<BreakerTransition, 'name' | 'state' | 'overrideExpiresAt' | 'auditId' | 'incarnation'> {
  readonly id: string;
  /** `config_update` only: the stored rules before and after (absent from entries written before it was added). */
  readonly config?: { readonly from: BreakerConfig; readonly to: BreakerConfig };
}
