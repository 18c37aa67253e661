import type { BreakerAction, BreakerState } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';

/** Where the pod's view came from: the shared Redis state, or the local fallback. */
export type ViewSource = 'shared' | 'local';

export interface StateChangeEvent {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly generation: number;
  /** The action that caused it (`trip`, `half_open`, `force_open`, …), or `resync`/`fallback`/`rejoin`. */
  readonly cause: BreakerAction | 'resync' | 'fallback' | 'rejoin';
  readonly source: ViewSource;
}

export interface StoreDegradedEvent {
  readonly error: Error;
}

export interface StoreRecoveredEvent {
  /** How long the pod ran on its local breaker, ms (pod clock). */
  readonly downtimeMs: number;
  /** Outcomes counted while apart and still inside the window, sent to Redis on return. */
  readonly replayed: { readonly failures: number; readonly successes: number };
}

export interface ProbeGrantedEvent {
  readonly lease: ProbeLease;
  readonly source: ViewSource;
}

export interface ProbeReportedEvent {
  readonly lease: ProbeLease;
  readonly outcome: ProbeOutcome;
  readonly accepted: boolean;
}

export interface ConfigDriftEvent {
  /** Hash of the config this pod was given. */
  readonly localHash: string;
  /** Hash of the config stored in Redis, which is in force. */
  readonly storedHash: string;
}
