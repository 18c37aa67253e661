import type { PhaseName } from '../options.js';
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
  ['recoveryTimeMs', 'recovery: pusher back → all sessions connected', duration],
  ['peakReconnectsPerSecond', 'peak reconnects per second', count],
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

/** The side-by-side table printed at the end and put in BENCHMARKS.md / README. */
export function sideBySide(results: Partial<Record<PhaseName, PhaseSummary>>): string {
  const phases = (['baseline', 'breakwater'] as const).filter((p) => results[p]);
  const header = `| | ${phases.map((p) => (p === 'baseline' ? 'old client (baseline)' : 'Breakwater')).join(' | ')} |`;
  const rule = `|---|${phases.map(() => '---:').join('|')}|`;
  const rows = ROWS.map(
    ([key, label, fmt]) => `| ${label} | ${phases.map((p) => fmt(results[p]?.[key] ?? null)).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}

function percent(v: number | null): string {
  return v === null ? '—' : `${Math.round(v * 100)} %`;
}

function count(v: number | null): string {
  return v === null ? '—' : v.toLocaleString('en-US');
}

/** Scenario durations, as the incident would have felt them. */
function duration(v: number | null): string {
  if (v === null) return '—';
  if (v < 10_000) return `${(v / 1_000).toFixed(1)} s`;
  if (v < 120_000) return `${Math.round(v / 1_000)} s`;
  return `${(v / 60_000).toFixed(1)} min`;
}
