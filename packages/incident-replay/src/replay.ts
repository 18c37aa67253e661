import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PhaseName, ReplayOptions } from './options.js';
import { type PhaseRun, runPhase } from './orchestrator/phase-runner.js';
import { acquireReplayRedis, type ReplayRedis } from './orchestrator/replay-redis.js';
import { chartPage, chartSvg } from './report/chart-page.js';
import { busyWarning, describeMachine, type Machine, machineLine } from './report/machine.js';
import { type PhaseSummary, summarize } from './report/summary.js';
import { sideBySide } from './report/table.js';

export interface ReplayReport {
  readonly generatedAt: string;
  readonly scenario: Omit<ReplayOptions, 'redisUrl' | 'json' | 'outDir' | 'writeBenchmarks'> & {
    readonly redis: string;
  };
  readonly machine: Machine & { readonly cpuBusyPeak: number; readonly cpuBusyMean: number };
  readonly baseline?: PhaseSummary;
  readonly breakwater?: PhaseSummary;
  readonly sre?: PhaseRun['sre'];
  /** Breakwater's half-open probes, fleet-wide: when (scenario s), which pod, what happened. */
  readonly probes?: PhaseRun['probes'];
  readonly timelines: Partial<Record<PhaseName, PhaseRun['timeline']>>;
  readonly notes: readonly string[];
}

export interface ReplayResult {
  readonly report: ReplayReport;
  readonly table: string;
  readonly files: { readonly report: string; readonly chart: string; readonly svg: string };
}

/** Runs the scenario for each phase in turn and writes report.json and chart.html to `outDir`. */
export async function runReplay(
  options: ReplayOptions,
  progress: (line: string) => void = () => {},
): Promise<ReplayResult> {
  const machine = describeMachine();
  progress(`machine: ${machineLine(machine)}`);
  const busy = busyWarning(machine);
  if (busy) progress(`warning: ${busy}`);
  let redis: ReplayRedis | undefined;
  const runs: PhaseRun[] = [];
  try {
    if (options.phases.includes('breakwater')) {
      redis = await acquireReplayRedis(options.redisUrl);
      progress(`redis: ${redis.describe}`);
    }
    for (const phase of options.phases) runs.push(await runPhase(phase, { options, redis, progress }));
  } finally {
    await redis?.release().catch(() => {});
  }

  const summaries: Partial<Record<PhaseName, PhaseSummary>> = {};
  for (const run of runs) summaries[run.phase] = summarize(run);
  const { redisUrl: _url, json: _json, outDir: _out, writeBenchmarks: _write, ...scenario } = options;
  const report: ReplayReport = {
    generatedAt: new Date().toISOString(),
    scenario: { ...scenario, redis: redis?.describe ?? 'none (baseline only)' },
    machine: {
      ...machine,
      cpuBusyPeak: Math.max(0, ...runs.map((r) => r.cpuBusyPeak)),
      cpuBusyMean: runs.reduce((a, r) => a + r.cpuBusyMean, 0) / Math.max(1, runs.length),
    },
    ...summaries,
    sre: runs.find((r) => r.phase === 'breakwater')?.sre,
    probes: runs.find((r) => r.phase === 'breakwater')?.probes,
    timelines: Object.fromEntries(runs.map((r) => [r.phase, r.timeline])),
    notes: [
      `Durations are scenario time: wall-clock × time-scale (${options.timeScale}). Event-loop delay and CPU are wall-clock.`,
      'Rates (dials, reconnects) are per scenario second, as pusher would have seen them at real speed.',
      'A transcript counts as delivered when it reached a live app session at most 5 scenario seconds late.',
      'recoveryTimeMs is the wait for the next half-open probe after pusher returns (0 to one cooldown) plus the ramp admitting every session; probes lists each probe.',
      ...(options.sre
        ? [
            'With --sre the operator force-opens the breaker a quarter into the outage: pods that had not tripped by then count as tripped at the force-open.',
          ]
        : []),
      ...(busy ? [`Warning: ${busy}.`] : []),
    ],
  };

  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const files = {
    report: join(outDir, 'report.json'),
    chart: join(outDir, 'chart.html'),
    svg: join(outDir, 'chart.svg'),
  };
  const chartPhases = runs.map((r) => ({ phase: r.phase, timeline: r.timeline, marks: r.marks }));
  writeFileSync(files.report, `${JSON.stringify(report, null, 2)}\n`);
  const caption = `${options.pods} pods × ${options.sessions} sessions, pusher ${options.failureMode} for ${options.outageSeconds} s (scenario), time-scale ${options.timeScale}${options.sre ? ', SRE force-open mid-outage' : ''}. Machine: ${machineLine(machine)}.`;
  writeFileSync(files.chart, chartPage(chartPhases, caption));
  writeFileSync(files.svg, `${chartSvg(chartPhases)}\n`);
  return { report, table: sideBySide(summaries), files };
}
