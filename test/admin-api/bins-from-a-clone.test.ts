import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VERSION } from '@breakwater/admin-api';
import { expect, it } from 'vitest';
import { runBin } from './bins.js';

/**
 * What a fresh clone offers after `pnpm install`: the root scripts run the
 * bins from source (`pnpm breakwater …`, `pnpm breakwater-admin …`), each bin
 * tells its version, and `breakwater-admin --help` lists its environment and
 * exits without starting (no Redis, no port).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function pnpm(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('pnpm', ['--silent', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('pnpm breakwater runs the CLI from source: --version, and the usage of the README example', async () => {
  // stdout only: pnpm itself may say something on stderr (an update notice), which is not the CLI's.
  expect(await pnpm(['breakwater', '--version'])).toMatchObject({ code: 0, stdout: `breakwater ${VERSION}\n` });
  // README's example without a token: the CLI itself answers (exit 2, nothing sent).
  const example = await pnpm(['breakwater', 'force-open', 'pusher', '--reason', 'pusher 5xx, INC-123', '--ttl', '15m']);
  expect(example.code).toBe(2);
  expect(example.stderr).toContain('no token: set BREAKWATER_TOKEN');
});

it('breakwater-admin --help prints its environment variables and exits 0 without starting', async () => {
  const help = await pnpm(['breakwater-admin', '--help']);
  expect(help.code).toBe(0);
  for (const name of ['REDIS_URL', 'BREAKWATER_ADMIN_TOKENS', 'BREAKWATER_ADMIN_TOKENS_FILE', 'HOST', 'PORT']) {
    expect(help.stdout).toContain(name);
  }
  expect(await runBin('breakwater-admin', ['--version'], {})).toMatchObject({
    code: 0,
    stdout: `breakwater-admin ${VERSION}`,
  });
  const wrong = await runBin('breakwater-admin', ['--port', '8080'], {});
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('configured by environment');
});
