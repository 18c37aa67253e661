/**
 * `pnpm bench`: Breakwater's benchmarks, each side by side with its baseline in
 * one run, printed and written to BENCHMARKS.md with the command and machine.
 *
 *   pnpm bench                 all suites
 *   pnpm bench --only hot-path one suite (hot-path | propagation | redis-load)
 *   pnpm bench --no-write      print only
 */
import { parseArgs } from 'node:util';
import { describeMachine, machineLine, writeBenchmarkSection } from '@breakwater/incident-replay/report';
import { startRedis } from '@breakwater/redis-harness';
import { benchHotPath, hotPathTable } from './breaker-core/hot-path.js';
import { benchPropagation, benchTripPropagation } from './breaker-core/propagation.js';
import { benchRedisLoad } from './breaker-core/redis-load.js';
import { fmt } from './stats.js';

const SUITES = ['hot-path', 'propagation', 'redis-load'] as const;
type Suite = (typeof SUITES)[number];

const { values } = parseArgs({
  options: { only: { type: 'string', multiple: true }, 'no-write': { type: 'boolean', default: false } },
});
const only = (values.only ?? [...SUITES]) as string[];
for (const s of only) {
  if (!(SUITES as readonly string[]).includes(s)) {
    console.error(`unknown suite "${s}"; choose from: ${SUITES.join(', ')}`);
    process.exit(2);
  }
}
const wants = (s: Suite) => only.includes(s);

const machine = describeMachine();
console.log(`machine: ${machineLine(machine)}`);
const server = await startRedis();
const sections: string[] = [];
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
} finally {
  await server.stop();
}

if (!values['no-write'] && sections.length > 0) {
  const command = `pnpm bench${values.only ? values.only.map((o) => ` --only ${o}`).join('') : ''}`;
  const body = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\` on: ${machineLine(machine)}.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  writeBenchmarkSection(new URL('../BENCHMARKS.md', import.meta.url), 'breaker-core', body);
  console.log('\nwrote BENCHMARKS.md (section breaker-core)');
}
