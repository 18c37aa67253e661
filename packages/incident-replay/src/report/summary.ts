import type { PhaseRun } from '../orchestrator/phase-runner.js';

/** The numbers report.json gives for each phase (durations in scenario ms; event-loop delay in wall ms). */
export interface PhaseSummary {
  /** Dials pusher received while it was down. */
  readonly dialAttempts: number;
  /** Highest dial rate pusher saw, per scenario second. */
  readonly peakDialsPerSecond: number;
  /** Failure start → the last pod's breaker stopped admitting calls, scenario ms (null: baseline, or not all tripped). */
  readonly timeToTripAllPodsMs: number | null;
  /** Worst pod's event-loop delay p99 over the phase, wall ms. */
  readonly eventLoopDelayP99Ms: number;
  /** Worst pod's longest single event-loop stall over the phase, wall ms. */
  readonly eventLoopDelayMaxMs: number;
  /** pusher back → every live session connected, scenario ms (null: not within --recovery-seconds). */
  readonly recoveryTimeMs: number | null;
  /** Half-open probes the fleet made (Breakwater: one per cooldown, cluster-wide), and how many failed. */
  readonly halfOpenProbes: number | null;
  readonly halfOpenProbesFailed: number | null;
  /** Highest rate of completed handshakes after pusher returned, per scenario second. */
  readonly peakReconnectsPerSecond: number;
  readonly conversationsRequested: number;
  /** Requested, but processed neither by pusher nor by the fallback. */
  readonly conversationsLost: number;
  readonly conversationsViaFallback: number;
  readonly conversationsViaPusher: number;
  /** Transcripts that reached a live app session on time (≤ 5 scenario s late). */
  readonly transcriptsToApp: number;
  readonly transcriptsToAppExpected: number;
  /** Pods that missed 3 liveness probes in a row (the kubelet would have killed them). */
  readonly podsUnhealthy: number;
  readonly failedProbes: number;
  /** Pod processes that died before the phase ended. */
  readonly podsExited: number;
  /** App sessions the client closed itself (the old client's 1011 on a failed first connect). */
  readonly appSessionsClosed: number;
  /** Sessions still not connected when the recovery watch ended. */
  readonly sessionsNotRecovered: number;
  readonly cpuBusyPeak: number;
  readonly cpuBusyMean: number;
}

export function summarize(run: PhaseRun): PhaseSummary {
  const sum = (pick: (f: PhaseRun['finals'][number]) => number) => run.finals.reduce((n, f) => n + pick(f), 0);
  const requested = sum((f) => f.conversations.requested);
  const viaPusher = sum((f) => f.conversations.viaPusher);
  const viaFallback = sum((f) => f.conversations.viaFallback);
  const afterRecovery = run.timeline.filter((p) => p.t >= run.marks.recoverAt);
  const tripped = run.trippedAt;
  return {
    dialAttempts: run.dialAttemptsDuringOutage,
    peakDialsPerSecond: Math.round(Math.max(0, ...run.timeline.map((p) => p.dialsPerSecond))),
    timeToTripAllPodsMs:
      tripped.length > 0 && tripped.every((t) => t !== null) ? Math.round(Math.max(...(tripped as number[]))) : null,
    eventLoopDelayP99Ms: round1(Math.max(0, ...run.finals.map((f) => f.eventLoopPhaseP99Ms))),
    eventLoopDelayMaxMs: round1(Math.max(0, ...run.finals.map((f) => f.eventLoopPhaseMaxMs))),
    recoveryTimeMs: run.recoveredAfterMs === null ? null : Math.round(run.recoveredAfterMs),
    halfOpenProbes: run.phase === 'breakwater' ? run.probes.length : null,
    halfOpenProbesFailed: run.phase === 'breakwater' ? run.probes.filter((p) => p.outcome === 'failure').length : null,
    peakReconnectsPerSecond: Math.round(Math.max(0, ...afterRecovery.map((p) => p.connectsPerSecond))),
    conversationsRequested: requested,
    conversationsLost: requested - viaPusher - viaFallback,
    conversationsViaFallback: viaFallback,
    conversationsViaPusher: viaPusher,
    transcriptsToApp: sum((f) => f.transcriptsToApp),
    transcriptsToAppExpected: sum((f) => f.transcriptsToAppExpected),
    podsUnhealthy: run.health.unhealthyPods,
    failedProbes: run.health.failedProbes,
    podsExited: run.health.exitedPods,
    appSessionsClosed: sum((f) => f.appSessionsClosed),
    sessionsNotRecovered: run.sessionsNotRecovered,
    cpuBusyPeak: round2(run.cpuBusyPeak),
    cpuBusyMean: round2(run.cpuBusyMean),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
