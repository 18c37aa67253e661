import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * CPU pressure, for real: `count` child processes (default one per core), each a
 * Node busy loop that never yields. Stopped by PID (SIGKILL) with {@link BusyLoad.stop},
 * and killed with this process if it exits first.
 */
export interface BusyLoad {
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

const BUSY_LOOP = 'for (;;) {}';

export async function startBusyLoad(count = availableParallelism()): Promise<BusyLoad> {
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new RangeError(`busy-loop processes: expected an integer in [1, 256], got ${count}`);
  }
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
  }
  return {
    pids: children.map((c) => c.pid as number),
    async stop() {
      process.off('exit', killAll);
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
