/**
 * `pnpm bench`: Breakwater's benchmarks, each side by side with its baseline in
 * one run, printed and written to BENCHMARKS.md with the command and machine.
 *
 *   pnpm bench                 all suites
 *   pnpm bench --only hot-path one suite (hot-path | propagation | redis-load | degraded)
 *   pnpm bench --no-write      print only
 *
 * `degraded` (a pod's CPU and Redis calls while pusher is down) takes minutes and
 * is not in the default set:
 *
 *   pnpm bench --only degraded                      3 runs each, other core quiet and busy
 *   pnpm bench --only degraded --against 86d1fbe    interleaved with the library of another commit
 *   pnpm bench --only degraded --runs 5 --window-ms 20000 --sessions 50
 *   pnpm bench --only degraded --variant app-only --variant fleet --load quiet
 */
import { parseArgs } from 'node:util';
import { describeMachine, machineLine, writeBenchmarkSection } from '@breakwater/incident-replay/report';
import { startRedis } from '@breakwater/redis-harness';
import { benchHotPath, hotPathTable } from './breaker-core/hot-path.js';
import { benchPropagation, benchTripPropagation } from './breaker-core/propagation.js';
import { benchRedisLoad } from './breaker-core/redis-load.js';
import { benchDegraded, commandTable, DEFAULT_DEGRADED_OPTIONS, degradedTables } from './degraded-pod/degraded.js';
import { fmt } from './stats.js';

const SUITES = ['hot-path', 'propagation', 'redis-load', 'degraded'] as const;
type Suite = (typeof SUITES)[number];
/** What `pnpm bench` runs without --only: the quick suites. */
const DEFAULT_SUITES: readonly Suite[] = ['hot-path', 'propagation', 'redis-load'];

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    'no-write': { type: 'boolean', default: false },
    against: { type: 'string' },
    runs: { type: 'string' },
    sessions: { type: 'string' },
    'window-ms': { type: 'string' },
    variant: { type: 'string', multiple: true },
    load: { type: 'string', multiple: true },
  },
});
const only = (values.only ?? [...DEFAULT_SUITES]) as string[];
for (const s of only) {
  if (!(SUITES as readonly string[]).includes(s)) {
    console.error(`unknown suite "${s}"; choose from: ${SUITES.join(', ')}`);
    process.exit(2);
  }
}
const wants = (s: Suite) => only.includes(s);
const intOption = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name}: expected an integer ${min}–${max}, got "${value}"`);
    process.exit(2);
  }
  return n;
};
function pickList<T extends string>(name: string, given: string[] | undefined, all: readonly T[]): readonly T[] {
  if (!given) return all;
  for (const g of given) {
    if (!(all as readonly string[]).includes(g)) {
      console.error(`--${name}: expected one of ${all.join(', ')}, got "${g}"`);
      process.exit(2);
    }
  }
  return all.filter((x) => given.includes(x));
}
const degradedOptions = {
  ...DEFAULT_DEGRADED_OPTIONS,
  runs: intOption('runs', values.runs, DEFAULT_DEGRADED_OPTIONS.runs, 1, 50),
  sessions: intOption('sessions', values.sessions, DEFAULT_DEGRADED_OPTIONS.sessions, 1, 5_000),
  windowMs: intOption('window-ms', values['window-ms'], DEFAULT_DEGRADED_OPTIONS.windowMs, 1_000, 600_000),
  against: values.against,
  variants: pickList('variant', values.variant, DEFAULT_DEGRADED_OPTIONS.variants),
  loads: pickList('load', values.load, DEFAULT_DEGRADED_OPTIONS.loads),
  log: (line: string) => console.log(line),
};
if (
  !wants('degraded') &&
  (values.against || values.runs || values.sessions || values['window-ms'] || values.variant || values.load)
) {
  console.error('--against, --runs, --sessions, --window-ms, --variant and --load are options of --only degraded');
  process.exit(2);
}

const machine = describeMachine();
console.log(`machine: ${machineLine(machine)}`);
const server = await startRedis();
const sections: string[] = [];
/** The degraded suite has its own BENCHMARKS.md section (`degraded-pod`): it runs apart from the rest. */
const degradedSection: string[] = [];
try {
  if (wants('hot-path')) {
    console.log('\n▶ hot path and execute() overhead …');
    const table = hotPathTable(await benchHotPath(server.url));
    console.log(table);
    sections.push(`### Hot path and \`execute()\` overhead\n\n${table}`);
  }
  if (wants('propagation')) {
    console.log('\n▶ propagation to 30 pods: operator force-open, then a trip …');
    const forced = await benchPropagation(server.url);
    const tripped = await benchTripPropagation(server.url);
    const row = (what: string, r: typeof forced) =>
      `| ${what} | ${r.pods} | ${r.rounds} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.maxMs, 2)} |`;
    const table = [
      '| from → to | pods | rounds | p50 (ms) | p99 (ms) | max (ms) |',
      '|---|---:|---:|---:|---:|---:|',
      row("operator's force-open call → each pod's `forced_open`", forced),
      row("one pod's threshold-th `recordFailure()` → each pod's `open`", tripped),
    ].join('\n');
    console.log(table);
    sections.push(
      `### Trip propagation\n\nUntil each pod's \`onStateChange\`, one sample per pod per round: from just before an operator's force-open call; and from the \`recordFailure()\` that reaches \`failureThreshold\` (20) on one pod (which flushes at once, since it could trip alone), the breaker reset between rounds. All 30 pods (60 connections) share this one process and event loop.\n\n${table}`,
    );
  }
  if (wants('redis-load')) {
    console.log('\n▶ Redis load from one pod with failing sessions …');
    const rows = await benchRedisLoad(server.url);
    const table = [
      '| sessions | outcomes/s | Breakwater requests/s | Breakwater commands/s (incl. in scripts) | naive requests/s | naive commands/s | naive ÷ Breakwater (requests) |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.sessions} | ${fmt(r.outcomesPerSecond, 0)} | ${fmt(r.breakwater.requestsPerSecond, 1)} | ${fmt(r.breakwater.commandsPerSecond, 0)} | ${fmt(r.naive.requestsPerSecond, 0)} | ${fmt(r.naive.commandsPerSecond, 0)} | ${fmt(r.naive.requestsPerSecond / r.breakwater.requestsPerSecond, 0)}× |`,
      ),
    ].join('\n');
    console.log(table);
    sections.push(
      `### Redis load from one pod\n\nEvery session fails 10 times a second for 3 s, on one pod that cannot trip the breaker alone (quorum 2), so the load never stops. Counted with \`INFO commandstats\` on a redis-server the benchmark started: *requests* are what the pod sent (script calls), *commands* include the ones each script runs inside Redis. Breakwater: flush 100 ms, resync 1 s. "Naive" sends one record script per outcome, as a per-call shared breaker would.\n\n${table}`,
    );
  }
  if (wants('degraded')) {
    const o = degradedOptions;
    console.log(
      `\n▶ one degraded pod: ${o.sessions} sessions, pusher refusing, ${o.runs} runs × ${o.loads.join('/')} load${o.against ? `, against ${o.against}` : ''} …`,
    );
    const loadBefore = machine.loadAverage1m;
    const { runs, sides } = await benchDegraded(o);
    const loads = runs.map((r) => r.loadAverage);
    const table = degradedTables(runs, sides, o);
    const commands = commandTable(runs, sides, o);
    console.log(`\n${table}\n\n${commands}`);
    degradedSection.push(
      [
        '### One pod while pusher is down (degraded)',
        '',
        `One pod process with ${o.sessions} sessions, each fed by the app a ${o.audioEveryMs} ms audio chunk every ${o.audioEveryMs} ms and a transcript every ${o.transcriptEveryMs / 1_000} s; pusher (the stand-in) refuses every connection, so every first connect fails, the breaker trips and every session degrades. Measured over ${o.windowMs / 1_000} s once every session is degraded (+${o.settleMs / 1_000} s), a fresh process, redis-server and stand-in per run, ${o.runs} runs (min / median / max). *open*: the pod alone, its breaker cycling open → half-open → its own probe (refused) → open on the default cooldowns (1, 2, then every 3 s). *half-open-held*: another pod takes the probe lease whenever it can and never reports it, so the measured pod sits in half_open with someone else probing. *fleet*: 29 other pods (breakers only, in the benchmark's process) ask for the lease whenever their view allows and report a failed probe 50 ms after a grant: the breaker cycles as in the replay's outage and the measured pod hears every transition and probes only when it wins the lease. *none (app only)*: the same app feeding sessions that keep nothing, no library loaded: the app's own cost; the library's share is the difference. *busy*: a process spinning on the other core throughout. CPU is \`process.cpuUsage()\` (user + system) per wall second; Redis requests are every command the pod's ioredis clients sent (breaker, subscriber, ramp). 1-min load average at each run's start: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} (at the suite's start ${loadBefore.toFixed(2)}).`,
        '',
        table,
        '',
        'Redis requests per second by command (medians over every run of a row, both loads):',
        '',
        commands,
      ].join('\n'),
    );
  }
} finally {
  await server.stop();
}

const write = (name: string, parts: string[], command: string) => {
  if (values['no-write'] || parts.length === 0) return;
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\` on: ${machineLine(machine)}.`,
    '',
    ...parts.flatMap((s) => [s, '']),
  ].join('\n');
  writeBenchmarkSection(new URL('../BENCHMARKS.md', import.meta.url), name, body);
  console.log(`\nwrote BENCHMARKS.md (section ${name})`);
};
const onlyFlags = (suites: string[]) => suites.map((o) => ` --only ${o}`).join('');
write('breaker-core', sections, `pnpm bench${values.only ? onlyFlags(only.filter((s) => s !== 'degraded')) : ''}`);
const degradedFlags = [
  values.against ? ` --against ${values.against}` : '',
  values.runs ? ` --runs ${values.runs}` : '',
  values.sessions ? ` --sessions ${values.sessions}` : '',
  values['window-ms'] ? ` --window-ms ${values['window-ms']}` : '',
  ...(values.variant ?? []).map((v) => ` --variant ${v}`),
  ...(values.load ?? []).map((l) => ` --load ${l}`),
].join('');
write('degraded-pod', degradedSection, `pnpm bench --only degraded${degradedFlags}`);
