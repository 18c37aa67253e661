import { spawnSync } from 'node:child_process';

const MISSING = [
  'promtool was not found (looked for $PROMTOOL, else `promtool` on PATH).',
  'It checks and unit-tests deploy/observability/alerts.yml. Install it:',
  '  Debian/Ubuntu: sudo apt-get install -y --no-install-recommends prometheus   (ships /usr/bin/promtool)',
  '  macOS:         brew install prometheus',
  '  elsewhere:     the prometheus-*.tar.gz release from https://prometheus.io/download/ holds promtool',
  '.ci/run installs it when it is missing.',
].join('\n');

/** Runs promtool; fails (never skips) with how to install it when it is absent. */
export function promtool(args: readonly string[], cwd?: string): { status: number; output: string } {
  const bin = process.env.PROMTOOL ?? 'promtool';
  const run = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    if ((run.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(MISSING);
    throw run.error;
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}
