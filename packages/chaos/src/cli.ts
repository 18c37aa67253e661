// pnpm chaos: the fault campaign (see --help and packages/chaos/README.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stopAll } from '@breakwater/redis-harness';
import { type CampaignResult, runCampaign } from './campaign.js';
import { loadRecording } from './checks/excluded.js';
import { checkRecording } from './run-topology.js';

/** Checks made while running, not from the recording. */
const RUN_CHECKS = new Set(['campaign', 'soak', 'admin']);

import { CHAOS_USAGE, type ChaosOptions, ChaosUsageError, parseChaosOptions, replayCommand } from './options.js';
import { reliabilityMarkdown } from './report/reliability.js';
import { campaignTable } from './report/table.js';

async function main(argv: readonly string[]): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseChaosOptions(argv);
  } catch (err) {
    if (err instanceof ChaosUsageError) {
      process.stderr.write(`pnpm chaos: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(CHAOS_USAGE);
    return 0;
  }
  if (options.fromJson) {
    const read = JSON.parse(readFileSync(options.fromJson, 'utf8')) as CampaignResult;
    const saved = { ...read, command: replayCommand({ ...read, topologies: read.topologies.map((t) => t.topology) }) };
    // With the run's CHAOS_DUMP files, the checks run again over what it recorded (the
    // checker as it is now); what was found while running (admin, crashes, the soak) is kept.
    const dump = process.env.CHAOS_DUMP;
    if (dump) {
      saved.topologies = saved.topologies.map((t) => {
        const file = `${dump}.${t.topology}.json`;
        if (!existsSync(file)) return t;
        const { rec, end } = loadRecording(file);
        return checkRecording(rec, {
          topology: t.topology,
          pods: t.pods,
          soak: t.soak,
          durationMs: t.durationMs,
          end,
          runViolations: t.violations.filter((v) => RUN_CHECKS.has(v.check)),
        });
      });
      saved.violations = saved.topologies.flatMap((t) => [...t.violations]);
      saved.checkedFromRecording = true;
    }
    process.stdout.write(`${campaignTable(saved)}\n`);
    if (options.writeReliability) writeFileSync(options.writeReliability, reliabilityMarkdown(saved));
    return saved.violations.length === 0 ? 0 : 1;
  }
  // Whatever happens (Ctrl-C, a failure), every pod process and redis-server goes with us.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping pods and Redis…\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const fullCommand = replayCommand(options);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  log(`seed ${options.seed}; ${options.pods} pods; ${options.faults} faults over ${options.topologies.join(', ')}`);
  try {
    const result = await runCampaign(options, fullCommand, log);
    const json = JSON.stringify(result, null, 2);
    if (options.json === '-') process.stdout.write(`${json}\n`);
    else {
      process.stdout.write(`${campaignTable(result)}\n`);
      if (options.json) writeFileSync(options.json, `${json}\n`);
    }
    if (options.writeReliability) {
      writeFileSync(options.writeReliability, reliabilityMarkdown(result));
      log(`wrote ${options.writeReliability}`);
    }
    return result.violations.length === 0 ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`pnpm chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
