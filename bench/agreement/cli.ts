/**
 * `pnpm soak:agreement`: issue 12's Redis-restarted-empty scenario
 * (./redis-restart-empty.ts), run N times, quiet and/or with every core saturated.
 *
 *   pnpm soak:agreement                      20 runs quiet, then 20 with every core busy
 *   pnpm soak:agreement --runs 5 --load busy 5 runs, one busy-loop process per core
 *   pnpm soak:agreement --seed 7 --json out.json
 *
 * Options:
 *   --runs N        runs per load condition, 1–1000 (default 20)
 *   --load L        none | busy | both (default both: N quiet runs, then N loaded)
 *   --seed S        base seed, 0–4294967295 (default 1); run k uses seed S + k, the same
 *                   seeds under each load, so the loaded runs replay the quiet runs' roles
 *   --max-down-ms M Redis stays dead a seeded extra 0–M ms after the rejoiner trips, before
 *                   it restarts (default 1500; 0 = at once), so pods meet its return at
 *                   every step of their reconnect backoff
 *   --json PATH     where the JSON goes (`-` for stdout; default a file in the temp directory)
 *
 * Exit code 0 when every run agreed within the bound, 1 when one did not, 2 for bad options.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuBusySampler, describeMachine, machineLine } from '@breakwater/incident-replay/report';
import { fmt, median } from '../stats.js';
import { type BusyLoad, startBusyLoad } from './busy-load.js';
import { type RedisRestartRun, runRedisRestartEmpty } from './redis-restart-empty.js';

const LOADS = ['none', 'busy', 'both'] as const;
type Load = (typeof LOADS)[number];

interface Options {
  runs: number;
  load: Load;
  seed: number;
  maxDownMs: number;
  json: string;
}

const USAGE = `usage: pnpm soak:agreement [--runs N] [--load none|busy|both] [--seed S] [--json PATH|-]

Issue 12's scenario (30 pods, a trip, a half-open, 60,000 successes, Redis SIGKILLed and
restarted empty) N times; prints each run's agreement times and writes every pod's timeline.
  --runs N     runs per load (default 20)
  --load L     none, busy (one spinning process per core) or both (default both)
  --seed S     base seed (default 1); run k uses S + k under each load
  --max-down-ms M  Redis stays dead a seeded extra 0–M ms before it restarts (default 1500)
  --json PATH  where the runs go, or - for stdout (default: a file in the temp directory)`;

function usage(message: string): never {
  console.error(`soak:agreement: ${message}`);
  console.error(USAGE);
  process.exit(2);
}

function parseOptions(argv: string[]): Options {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        runs: { type: 'string' },
        load: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        'max-down-ms': { type: 'string' },
      },
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    usage((err as Error).message);
  }
  const integer = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      usage(`--${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  const load = values.load ?? 'both';
  if (!(LOADS as readonly string[]).includes(load)) {
    usage(`--load: expected one of ${LOADS.join(', ')}, got ${JSON.stringify(load)}`);
  }
  const json = values.json ?? join(tmpdir(), `breakwater-soak-agreement-${Date.now()}.json`);
  if (json === '') usage('--json: expected a path or -');
  return {
    runs: integer('runs', values.runs, 20, 1, 1_000),
    load: load as Load,
    seed: integer('seed', values.seed, 1, 0, 2 ** 32 - 1 - 1_000),
    maxDownMs: integer('max-down-ms', values['max-down-ms'], 1_500, 0, 60_000),
    json,
  };
}

interface LoadedRun extends RedisRestartRun {
  readonly run: number;
  readonly load: 'none' | 'busy';
  /** 1-min load average when the run started and ended. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  /** Whole-machine CPU busy fraction over the run. */
  readonly cpuBusy: number;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const machine = describeMachine();
  const report = (runs: LoadedRun[], batches: unknown[]) => ({
    command: `pnpm soak:agreement ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine,
    options,
    batches,
    summary: summarise(runs),
    runs,
  });
  // Progress goes to stderr when the JSON goes to stdout.
  const say = options.json === '-' ? (line: string) => console.error(line) : (line: string) => console.log(line);
  say(`machine: ${machineLine(machine)}`);
  const conditions: Array<'none' | 'busy'> = options.load === 'both' ? ['none', 'busy'] : [options.load];
  const results: LoadedRun[] = [];
  const batches: Array<{ load: 'none' | 'busy'; loadAverage: { start: number[]; end: number[] }; busyPids: number[] }> =
    [];
  let busy: BusyLoad | undefined;
  const stopBusy = () => busy?.stop();
  process.once('SIGINT', () => {
    void Promise.resolve(stopBusy()).finally(() => process.exit(130));
  });
  try {
    for (const load of conditions) {
      if (load === 'busy') {
        busy = await startBusyLoad(availableParallelism());
        say(`\n▶ ${options.runs} runs, ${busy.pids.length} busy-loop processes (pids ${busy.pids.join(', ')})`);
        await sleep(2_000); // let the load settle before the first run
      } else {
        say(`\n▶ ${options.runs} runs, no added load`);
      }
      const startAverages = loadavg().map(round2);
      for (let run = 0; run < options.runs; run++) {
        const seed = options.seed + run;
        const loadStart = round2(loadavg()[0] ?? 0);
        const busyNow = cpuBusySampler();
        const r = await runRedisRestartEmpty({ seed, maxExtraDownMs: options.maxDownMs, log: (line) => say(line) });
        const entry: LoadedRun = {
          ...r,
          run: run + 1,
          load,
          loadAverage: { start: loadStart, end: round2(loadavg()[0] ?? 0) },
          cpuBusy: Math.round(busyNow() * 100) / 100,
        };
        results.push(entry);
        if (options.json !== '-') writeReport(options.json, report(results, batches)); // a crash keeps what ran
        say(
          `  run ${entry.run} (${load}, seed ${seed}): ${r.passed ? 'agreed' : `FAILED (${r.outcome})`}; max agreement ${fmtMs(r.agreementMaxMs)} ms, ` +
            `stale after bound ${r.podsStaleAfterBound}, Redis down ${Math.round(r.timings.downMs)} ms, late by ${Math.round(r.observer.redisWaitMaxMs)} ms, load ${entry.loadAverage.start}, cpu ${Math.round(entry.cpuBusy * 100)} %` +
            (r.passed ? '' : `\n    ${r.failures.join('\n    ')}`),
        );
      }
      batches.push({
        load,
        loadAverage: { start: startAverages, end: loadavg().map(round2) },
        busyPids: busy ? [...busy.pids] : [],
      });
      await busy?.stop();
      busy = undefined;
    }
  } finally {
    await busy?.stop();
  }

  const table = resultsTable(results);
  const summary = summaryTable(results);
  say(`\n${table}\n\n${summary}`);
  if (options.json === '-') process.stdout.write(`${JSON.stringify(report(results, batches), null, 2)}\n`);
  else {
    writeReport(options.json, report(results, batches));
    say(`\nJSON: ${options.json}`);
  }
  process.exitCode = results.every((r) => r.passed) ? 0 : 1;
}

export function resultsTable(runs: readonly LoadedRun[]): string {
  return [
    '| run | load | seed | agreement, max over pods (ms) | pods stale after bound | Redis ran a read late by (max, ms) | 1-min load | CPU busy | verdict |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---|',
    ...runs.map(
      (r) =>
        `| ${r.run} | ${r.load} | ${r.seed} | ${fmtMs(r.agreementMaxMs)} | ${r.podsStaleAfterBound} | ${fmt(r.observer.redisWaitMaxMs, 0)} | ${r.loadAverage.start} | ${Math.round(r.cpuBusy * 100)} % | ${verdict(r)} |`,
    ),
  ].join('\n');
}

function summarise(runs: readonly LoadedRun[]) {
  const by = (load: 'none' | 'busy') => runs.filter((r) => r.load === load);
  return (['none', 'busy'] as const)
    .map((load) => ({ load, runs: by(load) }))
    .filter((g) => g.runs.length > 0)
    .map(({ load, runs: rs }) => {
      const agree = rs.map((r) => r.agreementMaxMs ?? Number.POSITIVE_INFINITY);
      const loads = rs.map((r) => r.loadAverage.start);
      return {
        load,
        runs: rs.length,
        passed: rs.filter((r) => r.passed).length,
        outcomes: Object.fromEntries(
          [
            'agreed',
            'agreed-within-bound-of-reconnect',
            'agreed-within-bound-plus-held-loop',
            'redis-answered-late',
            'failed',
          ].map((o) => [o, rs.filter((r) => r.outcome === o).length]),
        ),
        agreementMaxMs: { min: Math.min(...agree), median: median(agree), max: Math.max(...agree) },
        podsStaleAfterBound: rs.reduce((n, r) => n + r.podsStaleAfterBound, 0),
        simultaneousGrants: {
          min: Math.min(...rs.map((r) => r.simultaneousGrants)),
          max: Math.max(...rs.map((r) => r.simultaneousGrants)),
        },
        maxSharedGrantsPerGeneration: Math.max(...rs.map((r) => r.maxSharedGrantsPerGeneration)),
        loopDelayMaxMs: {
          min: Math.min(...rs.map((r) => r.loopDelayMs.max)),
          median: median(rs.map((r) => r.loopDelayMs.max)),
          max: Math.max(...rs.map((r) => r.loopDelayMs.max)),
        },
        loadAverage1m: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
        cpuBusy: median(rs.map((r) => r.cpuBusy)),
      };
    });
}

export function summaryTable(runs: readonly LoadedRun[]): string {
  return [
    '| load | runs agreed within 1.5 s | of the others: within 1.5 s of the pod’s reconnect / + held loop / Redis answered late / failed | agreement, max over pods: min / median / max (ms) | pods stale after bound (all runs) | leases at once (min–max) | most leases per generation | loop delay max: min / median / max (ms) | 1-min load: min / median / max |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...summarise(runs).map(
      (s) =>
        `| ${s.load} | ${s.passed} / ${s.runs} | ${s.outcomes['agreed-within-bound-of-reconnect']} / ${s.outcomes['agreed-within-bound-plus-held-loop']} / ${s.outcomes['redis-answered-late']} / ${s.outcomes.failed} | ${fmt(s.agreementMaxMs.min, 0)} / ${fmt(s.agreementMaxMs.median, 0)} / ${fmt(s.agreementMaxMs.max, 0)} | ${s.podsStaleAfterBound} | ${s.simultaneousGrants.min}–${s.simultaneousGrants.max} | ${s.maxSharedGrantsPerGeneration} | ${fmt(s.loopDelayMaxMs.min, 0)} / ${fmt(s.loopDelayMaxMs.median, 0)} / ${fmt(s.loopDelayMaxMs.max, 0)} | ${fmt(s.loadAverage1m.min, 2)} / ${fmt(s.loadAverage1m.median, 2)} / ${fmt(s.loadAverage1m.max, 2)} |`,
    ),
  ].join('\n');
}

function writeReport(path: string, report: unknown): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

function verdict(r: RedisRestartRun): string {
  switch (r.outcome) {
    case 'agreed':
      return `agreed within ${r.boundMs} ms`;
    case 'agreed-within-bound-of-reconnect':
      return `late; within ${r.boundMs} ms of each pod's reconnect`;
    case 'agreed-within-bound-plus-held-loop':
      return `late; within ${r.boundMs} ms + held loop (${Math.round(r.loopDelayMs.max)} ms) of each pod's reconnect`;
    case 'redis-answered-late':
      return 'late; Redis itself answered late';
    default:
      return 'FAILED';
  }
}

function fmtMs(ms: number | null): string {
  return ms === null ? 'never' : fmt(ms, 0);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
