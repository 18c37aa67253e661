import type { BreakerConfigInput } from '../config/breaker-config.js';
import type { AuditEntry, BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';

/** A subscription or listener registration; `dispose()` ends it and is idempotent. */
export interface Disposable {
  dispose(): void;
}

export interface RegisterReply {
  readonly snapshot: BreakerSnapshot;
  /** True when the stored config differs from the one given: the stored one is in force. */
  readonly configDrift: boolean;
}

export interface RecordReply {
  readonly snapshot: BreakerSnapshot;
  readonly configDrift: boolean;
  /** True when the breaker did not exist (never registered here, or Redis lost it) and this call created it. */
  readonly created: boolean;
  /** Transitions this call caused (a trip, or lazy ones that fell due). */
  readonly transitions: readonly BreakerTransition[];
}

export type AcquireProbeReply =
  | { readonly granted: true; readonly lease: ProbeLease; readonly snapshot: BreakerSnapshot }
  | { readonly granted: false; readonly reason: 'not_half_open'; readonly snapshot: BreakerSnapshot }
  | {
      readonly granted: false;
      readonly reason: 'held';
      readonly holder: string;
      readonly expiresAt: number;
      readonly snapshot: BreakerSnapshot;
    };

export type ReportProbeReply =
  | { readonly accepted: true; readonly snapshot: BreakerSnapshot }
  | { readonly accepted: false; readonly reason: 'stale' | 'expired'; readonly snapshot: BreakerSnapshot };

export interface OverrideRequest {
  /** Why; 1–500 characters. Shown in snapshots and the audit. */
  readonly reason: string;
  /** Who; 1–128 characters (the admin API uses the token's name). */
  readonly actor: string;
  /** How long until the breaker returns to automatic, ms: 1 s – 24 h. */
  readonly ttlMs: number;
}

export interface ActorRequest {
  /** Who; 1–128 characters. */
  readonly actor: string;
  /** Why; 1–500 characters. */
  readonly reason: string;
}

/** Clearing an override may omit the reason (recorded as "override cleared"). */
export type ClearOverrideRequest = Omit<ActorRequest, 'reason'> & { readonly reason?: string };

/**
 * Where breaker state lives. Every operation is atomic: on Redis each is one
 * Lua script on Redis time; in memory each is one synchronous step. Inputs are
 * validated first (InvalidArgumentError, nothing written); operations on a
 * breaker that does not exist reject with BreakerNotFoundError.
 */
export interface BreakerStore {
  /**
   * Creates the breaker with `config` if it does not exist, and remembers the
   * config for {@link record}. An existing breaker keeps its stored config;
   * `configDrift` says whether it differs from `config`.
   */
  register(name: string, config?: BreakerConfigInput): Promise<RegisterReply>;
  /** Adds a pod's outcome counts to the window and applies the trip rules. Re-creates a vanished breaker. */
  record(name: string, podId: string, outcomes: { failures: number; successes: number }): Promise<RecordReply>;
  /** Current state, turning `open` into `half_open` (and lapsing overrides) when due. */
  snapshot(name: string): Promise<BreakerSnapshot>;
  /** In `half_open`, grants one pod cluster-wide a lease to probe; others learn who holds it. */
  acquireProbe(name: string, podId: string): Promise<AcquireProbeReply>;
  /** Success closes (after `successThreshold`), failure re-opens; a stale or expired lease changes nothing. */
  reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<ReportProbeReply>;
  forceOpen(name: string, request: OverrideRequest): Promise<BreakerSnapshot>;
  forceClose(name: string, request: OverrideRequest): Promise<BreakerSnapshot>;
  /** Back to automatic; a no-op without an override. */
  clearOverride(name: string, request: ClearOverrideRequest): Promise<BreakerSnapshot>;
  /** Automatic state to `closed`, window emptied; an active override stays. */
  reset(name: string, request: ActorRequest): Promise<BreakerSnapshot>;
  /** Replaces the stored config for every pod (audited). */
  updateConfig(name: string, config: BreakerConfigInput, request: ActorRequest): Promise<BreakerSnapshot>;
  /** Newest first, at most `limit` (1–1000, default 100). */
  audit(name: string, options?: { limit?: number }): Promise<AuditEntry[]>;
  /** Names of the breakers the store knows, sorted. */
  list(): Promise<string[]>;
  /** Every transition of `name`, in generation order, as it happens. */
  subscribe(name: string, listener: (transition: BreakerTransition) => void): Promise<Disposable>;
  close(): Promise<void>;
}
