import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProcessAlive, RUN_DIR_ENV } from '@breakwater/redis-harness';
import { expect, it } from 'vitest';

const config = fileURLToPath(new URL('./fixtures/vitest.fixture.config.ts', import.meta.url));
const vitestBin = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

function runFixture(file: string): { pids: number[]; status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-fixture-'));
  const pidLog = join(dir, 'pids');
  const env: NodeJS.ProcessEnv = { ...process.env, BREAKWATER_FIXTURE_PIDS: pidLog };
  delete env[RUN_DIR_ENV]; // the nested run gets its own global setup
  const result = spawnSync(process.execPath, [vitestBin, 'run', '--config', config, file], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  let pids: number[] = [];
  try {
    pids = readFileSync(pidLog, 'utf8').split('\n').filter(Boolean).map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { pids, status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

it('stops servers of a test file whose tests fail or time out', () => {
  const run = runFixture('leaky.fixture.ts');
  expect(run.status, run.output).not.toBe(0);
  expect(run.output).toMatch(/deliberate failure/);
  expect(run.output).toMatch(/timed out/i);
  expect(run.pids).toHaveLength(2);
  for (const pid of run.pids) expect(isProcessAlive(pid), `redis-server ${pid} survived`).toBe(false);
});

it('reaps the servers of a worker that was killed outright', () => {
  const run = runFixture('crash.fixture.ts');
  expect(run.status, run.output).not.toBe(0);
  expect(run.pids).toHaveLength(1);
  for (const pid of run.pids) expect(isProcessAlive(pid), `redis-server ${pid} survived`).toBe(false);
  expect(run.output).toMatch(/reaped 1 orphan redis-server/);
});
