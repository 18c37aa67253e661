// Runs the admin-api bins from source as child processes (not a test file).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ADMIN_DIR = fileURLToPath(new URL('../../packages/admin-api/', import.meta.url));
const BINS = { breakwater: 'src/bin/breakwater.ts', 'breakwater-admin': 'src/bin/breakwater-admin.ts' } as const;

export interface RunningBin {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout line (past or future) matching, or rejects after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

/**
 * Starts a bin with `node --import tsx` from the admin-api package, under the
 * `@breakwater/source` condition (so `@breakwater/*` resolve to their sources,
 * as in the tests), with only the environment given plus PATH.
 */
export function startBin(bin: keyof typeof BINS, args: readonly string[], env: Record<string, string>): RunningBin {
  const child = spawn(process.execPath, ['--conditions=@breakwater/source', '--import', 'tsx', BINS[bin], ...args], {
    cwd: ADMIN_DIR,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (into: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      into.push(...lines);
      for (const wake of waiters) wake();
    };
  };
  child.stdout?.on('data', collect(stdout));
  child.stderr?.on('data', collect(stderr));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = stdout.find(match);
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${bin} exited before printing the line; stderr: ${stderr.join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${bin} did not print the line within ${timeoutMs} ms; stdout: ${stdout.join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs a bin to completion. */
export async function runBin(
  bin: keyof typeof BINS,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const running = startBin(bin, args, env);
  const code = await running.exited;
  // 'exit' can precede the last 'data' events; 'close' means the pipes are drained.
  await new Promise<void>((resolve) => {
    if (running.child.stdout?.readableEnded && running.child.stderr?.readableEnded) resolve();
    else running.child.once('close', () => resolve());
  });
  return { code, stdout: running.stdout.join('\n'), stderr: running.stderr.join('\n') };
}
