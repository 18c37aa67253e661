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
  /** Most half-open probes reported in one breaker generation, fleet-wide (issue 12: at most 1). */
  readonly maxProbesPerGeneration: number | null;
  /** Probes whose lease came from a pod's local fallback breaker (not from Redis). */
  readonly probesFromLocalBreaker: number | null;
  /** Highest rate of completed handshakes after pusher returned, per scenario second. */
  readonly peakReconnectsPerSecond: number;
  /**
   * Trips (fleet-wide: distinct breaker generations a pod's breaker stopped admitting calls in)
   * while pusher was healthy: the fleet's start (pusher cold) and healthy traffic, and after
   * pusher came back. Null for the old client, which has no breaker.
   */
  readonly tripsWhilePusherHealthy: number | null;
  /** Handshakes the stand-in refused as overload during the fleet's start and healthy traffic (its cold start). */
  readonly overloadRejectionsAtStart: number;
  /** … after pusher came back (its cold start after the outage): a recovery storm. */
  readonly overloadRejectionsInRecovery: number;
  /** First and last overload refusal after pusher came back, scenario ms after it did (null: none). */
  readonly firstOverloadAfterRecoveryMs: number | null;
  readonly lastOverloadAfterRecoveryMs: number | null;
  /** Highest reconnect-ramp rate any pod saw, admissions a scenario second (Breakwater only). */
  readonly peakRampRatePerSecond: number | null;
  /**
   * Dials beyond what the ramp allowed (Breakwater only): the most, at any tick, that the phase's
   * dials so far exceed its burst plus its rate over time plus the half-open probes. 0 = respected.
   */
  readonly dialsBeyondRamp: number | null;
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

/** `rampBurst`: the ramp's bucket (admissions at once after a quiet spell). */
export function summarize(run: PhaseRun, rampBurst: number): PhaseSummary {
  // A second that straddles pusher's return counts as recovery (its refusals come from the return).
  const recoveryOverloads = run.overloads.filter((x) => x.t + 1 > run.marks.recoverAt);
  const afterBack = (t: number | undefined) => Math.max(0, Math.round(((t ?? 0) - run.marks.recoverAt) * 1_000));
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
    maxProbesPerGeneration: run.phase === 'breakwater' ? maxPerGeneration(run.probes) : null,
    probesFromLocalBreaker: run.phase === 'breakwater' ? run.probes.filter((p) => p.source === 'local').length : null,
    peakReconnectsPerSecond: Math.round(Math.max(0, ...afterRecovery.map((p) => p.connectsPerSecond))),
    tripsWhilePusherHealthy:
      run.phase === 'breakwater'
        ? new Set(
            run.trips.filter((x) => x.t < run.marks.failAt || x.t >= run.marks.recoverAt).map((x) => x.generation),
          ).size
        : null,
    overloadRejectionsAtStart: sumOf(run.overloads.filter((x) => x.t < run.marks.failAt)),
    overloadRejectionsInRecovery: sumOf(recoveryOverloads),
    firstOverloadAfterRecoveryMs: recoveryOverloads.length > 0 ? afterBack(recoveryOverloads[0]?.t) : null,
    lastOverloadAfterRecoveryMs: recoveryOverloads.length > 0 ? afterBack(recoveryOverloads.at(-1)?.t) : null,
    peakRampRatePerSecond:
      run.phase === 'breakwater' ? Math.round(Math.max(0, ...run.timeline.map((p) => p.rampRatePerSecond ?? 0))) : null,
    dialsBeyondRamp: run.phase === 'breakwater' ? dialsBeyondRamp(run, rampBurst) : null,
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

function sumOf(seconds: PhaseRun['overloads']): number {
  return seconds.reduce((n, x) => n + x.rejected, 0);
}

function maxPerGeneration(probes: PhaseRun['probes']): number {
  const per = new Map<number, number>();
  for (const p of probes) per.set(p.generation, (per.get(p.generation) ?? 0) + 1);
  return Math.max(0, ...per.values());
}

/**
 * How far the phase's dials ran ahead of the ramp: at every tick, dials since the phase
 * began minus (the ramp's burst + Σ rate × tick + the probes so far), the rate of a tick
 * being the highest any pod saw in it or the tick before (a pod's view trails Redis by an
 * exchange, and a slot booked before a cut is dialed after it). Dials while pusher is
 * down are left out: they are the probes, and a dial refused there cannot overload it.
 * 0 = every dial was within what the ramp allowed.
 */
export function dialsBeyondRamp(run: Pick<PhaseRun, 'timeline' | 'marks' | 'probes'>, burst: number): number {
  let allowed = burst;
  let dialed = 0;
  let worst = 0;
  let previousRate = 0;
  let previous: PhaseRun['timeline'][number] | undefined;
  for (const p of run.timeline) {
    const dt = previous ? p.t - previous.t : p.t;
    const dials = p.dialsTotal - (previous?.dialsTotal ?? 0);
    const rate = p.rampRatePerSecond ?? 0;
    const down = p.t > run.marks.failAt && p.t <= run.marks.recoverAt;
    if (!down) {
      dialed += dials;
      allowed += Math.max(rate, previousRate) * Math.max(0, dt);
    }
    const probes = run.probes.filter(
      (x) => x.t <= p.t && !(x.t > run.marks.failAt && x.t <= run.marks.recoverAt),
    ).length;
    worst = Math.max(worst, dialed - allowed - probes);
    previousRate = rate;
    previous = p;
  }
  return Math.max(0, Math.round(worst));
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
