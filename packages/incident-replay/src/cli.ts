#!/usr/bin/env node
/** `pnpm demo`: the incident replay. See README.md and `--help`. */
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseReplayArgs, ReplayUsageError, USAGE } from './options.js';
import { runReplay } from './replay.js';
import { replaceBetweenMarkers, writeBenchmarkSection } from './report/benchmarks-file.js';
import { machineLine } from './report/machine.js';

const REPO = new URL('../../../', import.meta.url);

// Ctrl-C or a SIGTERM must not leave a redis-server behind: exiting runs the harness's exit hook,
// which kills the servers it started; pod and stand-in processes exit when their IPC channel closes.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the replay`);
    process.exit(code);
  });
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseReplayArgs>;
  try {
    options = parseReplayArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ReplayUsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const live = process.stderr.isTTY === true;
  let lastPrinted = 0;
  const progress = (line: string) => {
    if (options.json) return;
    if (live) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 200) - 1)}`);
      if (!line.startsWith('[') || line.includes('…')) process.stderr.write('\n');
    } else if (!line.includes(' t=') || Date.now() - lastPrinted > 5_000) {
      lastPrinted = Date.now();
      console.error(line);
    }
  };
  const result = await runReplay(options, progress);
  if (live) process.stderr.write('\n');
  if (options.json) {
    console.log(JSON.stringify(result.report, null, 2));
  } else {
    console.log(`\n${result.table}\n`);
    console.log(`report: ${result.files.report}\nchart:  ${result.files.chart} (and ${result.files.svg})`);
  }
  if (options.writeBenchmarks) {
    const r = result.report;
    const command = ['pnpm demo', ...process.argv.slice(2).filter((a) => a !== '--write-benchmarks')].join(' ');
    const loads = r.runs.map((x) => x.loadAverage1m).join(', ');
    const cpu = `machine CPU busy ${Math.round(r.machine.cpuBusyMean * 100)} % on average, ${Math.round(r.machine.cpuBusyPeak * 100)} % at peak`;
    const capacity = r.scenario.pusherCapacity
      ? `pusher's capacity ${r.scenario.pusherCapacity.initialRate} → ${r.scenario.pusherCapacity.maxRate} new handshakes a second over ${r.scenario.pusherCapacity.warmUpSeconds} s after each (re)start, excess answered \`${r.scenario.pusherOverload}\``
      : 'pusher without a capacity';
    const failedNote =
      r.failedRuns.length > 0
        ? ` ${r.failedRuns.length} more run(s) did not complete and are left out: ${r.failedRuns.map((f) => `run ${f.run} (load ${f.loadAverage1m}): ${f.error}`).join('; ')}.`
        : '';
    const runs =
      (r.runs.length > 1
        ? `${r.runs.length} runs: each cell is the median (min – max); 1-min load average at the start of each run: ${loads}; ${cpu}.`
        : `1-min load average at the start: ${loads}; ${cpu}.`) + failedNote;
    const body = [
      `Measured ${r.generatedAt.slice(0, 10)} with \`${command}\` on: ${machineLine(r.machine)}.`,
      '',
      `Scenario: ${r.scenario.pods} pods × ${r.scenario.sessions} sessions; pusher \`${r.scenario.failureMode}\` for ${r.scenario.outageSeconds} s after ${r.scenario.healthySeconds} s healthy; ${capacity}; pods at nice ${r.scenario.podNice} (the stand-in and Redis, standing for other machines, get the CPU first); time-scale ${r.scenario.timeScale} (durations are scenario time, event-loop delay is wall-clock; see packages/incident-replay/README.md). ${runs}`,
      '',
      result.table,
      '',
      '![incident replay chart](docs/replay-chart.svg)',
    ].join('\n');
    writeBenchmarkSection(new URL('BENCHMARKS.md', REPO), 'incident-replay', body);
    copyFileSync(result.files.svg, fileURLToPath(new URL('docs/replay-chart.svg', REPO)));
    replaceBetweenMarkers(
      new URL('README.md', REPO),
      'replay-table',
      `${result.table}\n\n\`${command}\`, ${r.generatedAt.slice(0, 10)}; ${r.runs.length > 1 ? `median (min – max) of ${r.runs.length} runs; ` : ''}1-min load average at the start of each run: ${loads} (${r.machine.cores} cores, shared).${failedNote}`,
    );
    console.log('wrote BENCHMARKS.md (section incident-replay), the README table and docs/replay-chart.svg');
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`replay failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
