import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { PhaseName, ReplayOptions } from './options.js';
import { type PhaseRun, runPhase } from './orchestrator/phase-runner.js';
import { acquireReplayRedis, type ReplayRedis } from './orchestrator/replay-redis.js';
import { chartPage, chartSvg } from './report/chart-page.js';
import { busyWarning, describeMachine, type Machine, machineLine } from './report/machine.js';
import { type PhaseSummary, summarize } from './report/summary.js';
import { sideBySide } from './report/table.js';
import { RAMP_BURST, type ReplayRamp, replayRamp } from './scenario/scenario.js';

/** One run's figures (report.json `runs`). */
export interface RunFigures {
  readonly run: number;
  readonly startedAt: string;
  /** The machine's 1-min load average when the run began. */
  readonly loadAverage1m: number;
  readonly baseline?: PhaseSummary;
  readonly breakwater?: PhaseSummary;
  readonly sre?: PhaseRun['sre'];
  /** Breakwater's half-open probes, fleet-wide: when (scenario s), which pod, generation, what happened. */
  readonly probes?: PhaseRun['probes'];
  /** Breakwater's trips: when (scenario s), which pod, the generation. */
  readonly trips?: PhaseRun['trips'];
  /** The stand-in's overload refusals by scenario second, per phase. */
  readonly overloads: Partial<Record<PhaseName, PhaseRun['overloads']>>;
  readonly cpuBusyPeak: number;
  readonly cpuBusyMean: number;
}

/** A run that did not complete. */
export interface FailedRun {
  readonly run: number;
  readonly startedAt: string;
  readonly loadAverage1m: number;
  readonly error: string;
}

/** min / median / max of each figure over the runs (null where a run had none). */
export type Spread = Partial<Record<PhaseName, Partial<Record<keyof PhaseSummary, SpreadCell>>>>;
export interface SpreadCell {
  readonly min: number | null;
  readonly median: number | null;
  readonly max: number | null;
}

export interface ReplayReport {
  readonly generatedAt: string;
  readonly scenario: Omit<ReplayOptions, 'redisUrl' | 'json' | 'outDir' | 'writeBenchmarks'> & {
    readonly redis: string;
    /** The reconnect ramp the pods used, scenario time (see replayRamp). */
    readonly ramp: ReplayRamp;
  };
  readonly machine: Machine & { readonly cpuBusyPeak: number; readonly cpuBusyMean: number };
  /** With one run, its figures; with several, each figure's median over the runs. */
  readonly baseline?: PhaseSummary;
  readonly breakwater?: PhaseSummary;
  /** min / median / max over the runs. */
  readonly spread: Spread;
  /** Each run's figures. */
  readonly runs: readonly RunFigures[];
  /** Runs that did not complete (and why); left out of the figures. */
  readonly failedRuns: readonly FailedRun[];
  /** Runs in which Breakwater's recovery took no longer than the old client's (both phases run). */
  readonly breakwaterRecoveredNoSlower: { readonly runs: number; readonly of: number } | null;
  readonly sre?: PhaseRun['sre'];
  /** The last run's half-open probes (every run's are in `runs`). */
  readonly probes?: PhaseRun['probes'];
  /** The last run's timelines (charted). */
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
  const figures: RunFigures[] = [];
  const failed: FailedRun[] = [];
  let runs: PhaseRun[] = [];
  let redisDescribe: string | undefined;
  for (let n = 1; n <= options.runs; n++) {
    const startedAt = new Date().toISOString();
    const loadAverage1m = Math.round((loadavg()[0] ?? 0) * 100) / 100;
    if (options.runs > 1) progress(`run ${n} of ${options.runs} (1-min load average ${loadAverage1m}) …`);
    // Each run gets its own Redis (or key prefix): nothing a run learned (the ramp's rate, the
    // breaker's generation) carries into the next.
    let redis: ReplayRedis | undefined;
    runs = [];
    try {
      if (options.phases.includes('breakwater')) {
        redis = await acquireReplayRedis(options.redisUrl);
        redisDescribe ??= redis.describe;
        progress(`redis: ${redis.describe}`);
      }
      for (const phase of options.phases) runs.push(await runPhase(phase, { options, redis, progress }));
    } catch (err) {
      // One of several runs failing (pods not up in time on a busy machine) costs that run, not
      // the others: it is listed, with why, and left out of the spread.
      if (options.runs === 1) throw err;
      failed.push({ run: n, startedAt, loadAverage1m, error: (err as Error).message });
      progress(`run ${n} failed: ${(err as Error).message}`);
      continue;
    } finally {
      await redis?.release().catch(() => {});
    }
    const bw = runs.find((r) => r.phase === 'breakwater');
    const run: RunFigures = {
      run: n,
      startedAt,
      loadAverage1m,
      ...Object.fromEntries(runs.map((r) => [r.phase, summarize(r, RAMP_BURST)])),
      sre: bw?.sre,
      probes: bw?.probes,
      trips: bw?.trips,
      overloads: Object.fromEntries(runs.map((r) => [r.phase, r.overloads])),
      cpuBusyPeak: Math.max(0, ...runs.map((r) => r.cpuBusyPeak)),
      cpuBusyMean: runs.reduce((a, r) => a + r.cpuBusyMean, 0) / Math.max(1, runs.length),
    };
    figures.push(run);
    if (options.runs > 1) progress(`run ${n}: ${oneLine(run)}`);
  }

  if (figures.length === 0) throw new Error(`every run failed: ${failed.map((f) => f.error).join('; ')}`);
  const spread = spreadOf(figures, options.phases);
  const summaries: Partial<Record<PhaseName, PhaseSummary>> =
    figures.length === 1
      ? Object.fromEntries(options.phases.map((p) => [p, figures[0]?.[p]]))
      : Object.fromEntries(options.phases.map((p) => [p, medianSummary(spread[p] ?? {})]));
  const both = figures.filter((f) => f.baseline && f.breakwater);
  const noSlower =
    both.length === 0
      ? null
      : {
          runs: both.filter(
            (f) =>
              f.breakwater?.recoveryTimeMs != null &&
              (f.baseline?.recoveryTimeMs == null || f.breakwater.recoveryTimeMs <= f.baseline.recoveryTimeMs),
          ).length,
          of: both.length,
        };
  const last = figures.at(-1);
  const { redisUrl: _url, json: _json, outDir: _out, writeBenchmarks: _write, ...scenario } = options;
  const report: ReplayReport = {
    generatedAt: new Date().toISOString(),
    scenario: { ...scenario, ramp: replayRamp(options.pusherCapacity), redis: redisDescribe ?? 'none (baseline only)' },
    machine: {
      ...machine,
      cpuBusyPeak: Math.max(0, ...figures.map((f) => f.cpuBusyPeak)),
      cpuBusyMean: figures.reduce((a, f) => a + f.cpuBusyMean, 0) / Math.max(1, figures.length),
    },
    ...summaries,
    spread,
    runs: figures,
    failedRuns: failed,
    breakwaterRecoveredNoSlower: noSlower,
    sre: last?.sre,
    probes: last?.probes,
    timelines: Object.fromEntries(runs.map((r) => [r.phase, r.timeline])),
    notes: [
      `Durations are scenario time: wall-clock × time-scale (${options.timeScale}). Event-loop delay and CPU are wall-clock.`,
      'Rates (dials, reconnects, the ramp, the capacity) are per scenario second, as pusher would have seen them at real speed.',
      'A transcript counts as delivered when it reached a live app session at most 5 scenario seconds late.',
      'recoveryTimeMs is the wait for the next half-open probe after pusher returns (0 to one cooldown) plus the ramp admitting every session; probes lists each probe.',
      ...(options.pusherCapacity
        ? [
            `pusher's capacity: ${options.pusherCapacity.initialRate} new handshakes a second rising to ${options.pusherCapacity.maxRate} over ${options.pusherCapacity.warmUpSeconds} s, from the fleet's start and again when it comes back; the excess is answered ${options.pusherOverload}.`,
          ]
        : ['pusher had no capacity limit (--pusher-capacity none): a storm costs it nothing.']),
      options.podNice > 0
        ? `Pod processes ran at nice ${options.podNice} in both phases: the stand-in and Redis stand for other machines and get the CPU first; the pods still kept both cores busy.`
        : 'Pod processes ran at the same priority as the stand-in and Redis (--pod-nice 0): a CPU-starved stand-in answers handshakes late.',
      ...(options.runs > 1
        ? [
            `${options.runs} runs: baseline and breakwater hold each figure's median; spread holds min / median / max; runs holds each run's figures; timelines and the chart are the last run's.`,
          ]
        : []),
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
  return { report, table: sideBySide(summaries, options.runs > 1 ? spread : undefined, noSlower), files };
}

function spreadOf(figures: readonly RunFigures[], phases: readonly PhaseName[]): Spread {
  const out: Spread = {};
  for (const phase of phases) {
    const rows = figures.flatMap((f) => (f[phase] ? [f[phase]] : []));
    if (rows.length === 0) continue;
    const keys = Object.keys(rows[0] as PhaseSummary) as (keyof PhaseSummary)[];
    out[phase] = Object.fromEntries(
      keys.map((k) => {
        const values = rows.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
        return [k, values.length === 0 ? { min: null, median: null, max: null } : minMedianMax(values)];
      }),
    );
  }
  return out;
}

/** min, median (the middle run; the mean of the two middle ones for an even count), max. */
export function minMedianMax(values: readonly number[]): SpreadCell {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { min: v[0] ?? null, median, max: v.at(-1) ?? null };
}

function medianSummary(cells: Partial<Record<keyof PhaseSummary, SpreadCell>>): PhaseSummary {
  return Object.fromEntries(Object.entries(cells).map(([k, c]) => [k, c?.median ?? null])) as unknown as PhaseSummary;
}

function oneLine(f: RunFigures): string {
  const s = (ms: number | null | undefined) => (ms == null ? '—' : `${(ms / 1_000).toFixed(1)} s`);
  return [
    `recovery old ${s(f.baseline?.recoveryTimeMs)} / Breakwater ${s(f.breakwater?.recoveryTimeMs)}`,
    `trips while healthy ${f.breakwater?.tripsWhilePusherHealthy ?? '—'}`,
    `overloads in recovery old ${f.baseline?.overloadRejectionsInRecovery ?? '—'} / Breakwater ${f.breakwater?.overloadRejectionsInRecovery ?? '—'}`,
    `dials in outage old ${f.baseline?.dialAttempts ?? '—'} / Breakwater ${f.breakwater?.dialAttempts ?? '—'}`,
    `lost old ${f.baseline?.conversationsLost ?? '—'} / Breakwater ${f.breakwater?.conversationsLost ?? '—'}`,
  ].join(' · ');
}
