import type { PhaseName } from '../options.js';
import type { TimelinePoint } from '../orchestrator/phase-runner.js';
import type { ChartState } from '../pod/messages.js';
import { lineChart, type Marker, niceCeil } from './svg-chart.js';

export interface ChartPhase {
  readonly phase: PhaseName;
  readonly timeline: readonly TimelinePoint[];
  readonly marks: { readonly failAt: number; readonly recoverAt: number };
}

const STATE_COLORS: Record<ChartState, string> = {
  starting: '#9e9e9e',
  connected: '#2e7d32',
  reconnecting: '#ef6c00',
  degraded: '#6a1b9a',
  probing: '#1565c0',
  closed_by_client: '#c62828',
};

const TITLE: Record<PhaseName, string> = { baseline: 'old client (baseline)', breakwater: 'Breakwater' };

/**
 * A self-contained HTML page (inline SVG, no scripts): for each phase, dials
 * per second, pusher's capacity against the handshakes it got (and the ramp's rate,
 * and the overload refusals), sessions by state and event-loop delay over time, on shared axes
 * so the two columns compare at a glance.
 */
export function chartPage(phases: readonly ChartPhase[], caption: string): string {
  const columns = chartColumns(phases).map((charts) => `<div class="col">${charts.join('\n')}</div>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Breakwater incident replay</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}.row{display:flex;gap:24px;flex-wrap:wrap}.col{display:flex;flex-direction:column;gap:8px}p{max-width:1150px}</style>
</head><body>
<h1>Incident replay: the old client vs Breakwater</h1>
<p>${escapeHtml(caption)}</p>
<div class="row">${columns.join('\n')}</div>
<p>The grey "cpu %" line is the whole machine's CPU use, drawn on the event-loop axis scaled so its top is 100%.</p>
</body></html>
`;
}

/** The same charts as one standalone SVG (a grid, phases side by side), e.g. for a README. */
export function chartSvg(phases: readonly ChartPhase[]): string {
  const columns = chartColumns(phases);
  const cellW = 640;
  const cellH = 250;
  const rows = Math.max(0, ...columns.map((c) => c.length));
  const cells = columns.flatMap((charts, x) =>
    charts.map((chart, y) => chart.replace('<svg ', `<svg x="${x * cellW}" y="${y * cellH}" `)),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${columns.length * cellW}" height="${rows * cellH}" viewBox="0 0 ${columns.length * cellW} ${rows * cellH}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...cells,
    '</svg>',
  ].join('\n');
}

function chartColumns(phases: readonly ChartPhase[]): string[][] {
  const all = phases.flatMap((p) => p.timeline);
  const xMax = Math.max(1, ...all.map((p) => p.t));
  const yDials = Math.max(1, ...all.map((p) => p.dialsPerSecond));
  const yRates = Math.max(
    1,
    ...all.map((p) =>
      Math.max(p.connectsPerSecond, p.rampRatePerSecond ?? 0, p.capacityPerSecond ?? 0, p.overloadsPerSecond),
    ),
  );
  const ySessions = Math.max(1, ...all.map((p) => Object.values(p.sessions).reduce((a, b) => a + b, 0)));
  // CPU is drawn on the event-loop axis with 100 % at its top, so that top must be known here.
  const yLoop = niceCeil(Math.max(1, ...all.map((p) => p.eventLoopP99Ms)));
  return phases.map((p) => {
    const markers: Marker[] = [
      { x: p.marks.failAt, label: 'pusher fails' },
      { x: p.marks.recoverAt, label: 'pusher back' },
    ];
    const xy = (pick: (pt: TimelinePoint) => number) => p.timeline.map((pt) => [pt.t, pick(pt)] as const);
    const charts = [
      lineChart({
        title: `${TITLE[p.phase]}: dials against pusher`,
        xLabel: 'scenario seconds',
        yLabel: 'dials / s',
        series: [{ name: 'dials/s', color: '#c62828', points: xy((pt) => pt.dialsPerSecond) }],
        markers,
        xMax,
        yMax: yDials,
      }),
      lineChart({
        title: `${TITLE[p.phase]}: pusher's capacity and what reached it`,
        xLabel: 'scenario seconds',
        yLabel: 'per s',
        series: [
          ...(p.timeline.some((pt) => pt.capacityPerSecond !== null)
            ? [{ name: 'capacity/s', color: '#2e7d32', points: xy((pt) => pt.capacityPerSecond ?? 0) }]
            : []),
          ...(p.phase === 'breakwater'
            ? [{ name: 'ramp rate/s', color: '#1565c0', points: xy((pt) => pt.rampRatePerSecond ?? 0) }]
            : []),
          { name: 'handshakes/s', color: '#37474f', points: xy((pt) => pt.connectsPerSecond) },
          { name: 'overload refusals/s', color: '#c62828', points: xy((pt) => pt.overloadsPerSecond) },
        ],
        markers,
        xMax,
        yMax: yRates,
      }),
      lineChart({
        title: `${TITLE[p.phase]}: sessions by state`,
        xLabel: 'scenario seconds',
        yLabel: 'sessions',
        series: (Object.keys(STATE_COLORS) as ChartState[])
          .filter((s) => p.timeline.some((pt) => pt.sessions[s] > 0))
          .map((s) => ({ name: s.replaceAll('_', ' '), color: STATE_COLORS[s], points: xy((pt) => pt.sessions[s]) })),
        markers,
        xMax,
        yMax: ySessions,
      }),
      lineChart({
        title: `${TITLE[p.phase]}: event-loop delay p99, worst pod`,
        xLabel: 'scenario seconds',
        yLabel: 'ms (wall)',
        series: [
          { name: 'loop p99', color: '#37474f', points: xy((pt) => pt.eventLoopP99Ms) },
          { name: 'cpu % (machine)', color: '#90a4ae', points: xy((pt) => pt.cpuBusy * yLoop) },
        ],
        markers,
        xMax,
        yMax: yLoop,
      }),
    ];
    return charts;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}
