import type { PhaseName } from '../options.js';
import type { Spread } from '../replay.js';
import type { PhaseSummary } from './summary.js';

const ROWS: ReadonlyArray<[keyof PhaseSummary, string, (v: number | null) => string]> = [
  ['dialAttempts', 'dials against pusher during the outage', count],
  ['peakDialsPerSecond', 'peak dials per second', count],
  ['timeToTripAllPodsMs', 'time for every pod to trip', duration],
  ['eventLoopDelayP99Ms', 'event-loop delay p99, worst pod (wall)', ms],
  ['eventLoopDelayMaxMs', 'longest event-loop stall, worst pod (wall)', ms],
  ['podsUnhealthy', 'pods failing liveness (3 misses)', count],
  ['halfOpenProbes', 'half-open probes, fleet-wide', count],
  ['halfOpenProbesFailed', '… failed (pusher still down)', count],
  ['maxProbesPerGeneration', '… most in one breaker generation', count],
  ['recoveryTimeMs', 'recovery: pusher back → all sessions connected', duration],
  ['tripsWhilePusherHealthy', 'trips while pusher was healthy (cold start included)', count],
  ['overloadRejectionsAtStart', 'pusher overload refusals, fleet start (pusher cold)', count],
  ['overloadRejectionsInRecovery', 'pusher overload refusals after pusher came back', count],
  ['firstOverloadAfterRecoveryMs', '… first, after pusher came back', duration],
  ['lastOverloadAfterRecoveryMs', '… last, after pusher came back', duration],
  ['peakReconnectsPerSecond', 'peak reconnects per second', count],
  ['peakRampRatePerSecond', 'peak reconnect-ramp rate (fleet-wide, per s)', count],
  ['dialsBeyondRamp', 'dials beyond what the ramp allowed', count],
  ['conversationsRequested', 'conversations requested', count],
  ['conversationsViaPusher', '… processed by pusher', count],
  ['conversationsViaFallback', '… processed by the fallback', count],
  ['conversationsLost', '… lost', count],
  ['transcriptsToApp', 'transcripts to the app, on time', count],
  ['transcriptsToAppExpected', '… expected', count],
  ['appSessionsClosed', 'app sessions closed by the client (1011)', count],
  ['cpuBusyMean', 'machine CPU busy, mean over the phase', percent],
  ['cpuBusyPeak', 'machine CPU busy, peak', percent],
];

/**
 * The side-by-side table printed at the end and put in BENCHMARKS.md / README. With a
 * spread (several runs) each cell is the median, then min – max over the runs.
 */
export function sideBySide(
  results: Partial<Record<PhaseName, PhaseSummary>>,
  spread?: Spread,
  noSlower?: { readonly runs: number; readonly of: number } | null,
): string {
  const phases = (['baseline', 'breakwater'] as const).filter((p) => results[p]);
  const header = `| | ${phases.map((p) => (p === 'baseline' ? 'old client (baseline)' : 'Breakwater')).join(' | ')} |`;
  const rule = `|---|${phases.map(() => '---:').join('|')}|`;
  const cell = (p: PhaseName, key: keyof PhaseSummary, fmt: (v: number | null) => string) => {
    const c = spread?.[p]?.[key];
    if (!c) return fmt(results[p]?.[key] ?? null);
    if (c.median === null) return fmt(null);
    return c.min === c.max ? fmt(c.median) : `${fmt(c.median)} (${fmt(c.min)} – ${fmt(c.max)})`;
  };
  const rows = ROWS.map(([key, label, fmt]) => `| ${label} | ${phases.map((p) => cell(p, key, fmt)).join(' | ')} |`);
  const lines = [header, rule, ...rows];
  if (noSlower) {
    lines.push(
      `| Breakwater recovered no later than the old client | ${phases.map((p) => (p === 'breakwater' ? `${noSlower.runs} of ${noSlower.of} runs` : '')).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}

function percent(v: number | null): string {
  return v === null ? '—' : `${Math.round(v * 100)} %`;
}

function count(v: number | null): string {
  return v === null ? '—' : (Math.round(v * 10) / 10).toLocaleString('en-US');
}

/** Scenario durations, as the incident would have felt them. */
function duration(v: number | null): string {
  if (v === null) return '—';
  if (v < 10_000) return `${(v / 1_000).toFixed(1)} s`;
  if (v < 120_000) return `${Math.round(v / 1_000)} s`;
  return `${(v / 60_000).toFixed(1)} min`;
}
