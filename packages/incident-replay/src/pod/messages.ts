import type { FailureMode, PhaseName } from '../options.js';
import type { ReplayRamp } from '../scenario/scenario.js';

/** What the orchestrator tells a pod process when it forks it. */
export interface PodConfig {
  readonly pod: number;
  readonly phase: PhaseName;
  readonly sessions: number;
  readonly pusherUrl: string;
  /** Breakwater phase only. */
  readonly redisUrl: string | undefined;
  readonly keyPrefix: string;
  readonly timeScale: number;
  readonly failureMode: FailureMode;
  /** The reconnect ramp's options, scenario time (Breakwater phase; see replayRamp). */
  readonly ramp: ReplayRamp;
}

/** Session states as the replay charts them, for both clients. */
export const CHART_STATES = [
  'starting',
  'connected',
  'reconnecting',
  'degraded',
  'probing',
  'closed_by_client',
] as const;
export type ChartState = (typeof CHART_STATES)[number];

/** One half-open probe: when its result was reported (wall ms since epoch) and what it was. */
export interface ProbeRecord {
  readonly at: number;
  readonly outcome: 'success' | 'failure';
  /** False when the store refused the report (stale lease or generation). */
  readonly accepted: boolean;
  /** The breaker generation the lease was granted in: at most one probe per generation, fleet-wide. */
  readonly generation: number;
  /** Where the lease came from: Redis (`shared`), or the pod's local fallback breaker. */
  readonly source: 'shared' | 'local' | 'unknown';
}

/** Sent by a pod every sample period (and once more, final, when asked to stop). */
export interface PodSample {
  readonly type: 'sample';
  readonly pod: number;
  /** Wall clock, ms since epoch. */
  readonly at: number;
  readonly sessionsByState: Record<ChartState, number>;
  /** Dials this pod made since the phase began. */
  readonly dials: number;
  /** Event-loop delay over the last period, ms. */
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
  /** Over the whole phase so far, ms. */
  readonly eventLoopPhaseP99Ms: number;
  /** The longest single stall over the whole phase so far, ms. */
  readonly eventLoopPhaseMaxMs: number;
  readonly breakerState: string | null;
  /** The reconnect ramp's fleet-wide rate as this pod last saw it, per scenario second (Breakwater only). */
  readonly rampRatePerSecond: number | null;
  /** Reconnects the ramp admitted for this pod's sessions so far (Breakwater only). */
  readonly rampAdmitted: number | null;
  /** Wall clock of each move of the pod's breaker from admitting to not admitting (first 64). */
  readonly tripTimes: readonly number[];
  /** The breaker generation each of those trips began (same order as tripTimes). */
  readonly tripGenerations: readonly number[];
  /** Half-open probes this pod's sessions reported (first 64). */
  readonly probes: readonly ProbeRecord[];
  readonly conversations: {
    readonly requested: number;
    readonly viaPusher: number;
    readonly viaFallback: number;
    readonly pending: number;
  };
  readonly transcriptsToApp: number;
  readonly transcriptsToAppExpected: number;
  readonly appSessionsClosed: number;
  readonly rssMiB: number;
  readonly final: boolean;
}

export type OrchestratorMessage =
  | { readonly type: 'start'; readonly config: PodConfig }
  | { readonly type: 'begin' }
  | { readonly type: 'probe'; readonly id: number }
  | { readonly type: 'stop-load' }
  | { readonly type: 'finish'; readonly drainMs: number };

export type PodMessage =
  | { readonly type: 'ready'; readonly pod: number }
  | { readonly type: 'begun'; readonly pod: number }
  | { readonly type: 'probe-ack'; readonly id: number }
  | PodSample
  | { readonly type: 'error'; readonly pod: number; readonly message: string };
