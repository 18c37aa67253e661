#!/usr/bin/env node
/** `pnpm demo`: the incident replay. See README.md and `--help`. */
import { parseReplayArgs, ReplayUsageError, USAGE } from './options.js';
import { runReplay } from './replay.js';

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
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`replay failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
