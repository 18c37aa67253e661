import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every server the harness starts is registered here twice:
 *  - in memory, so {@link stopAll} (a test runner's per-file hook, e.g.
 *    test/harness/setup-file.ts) and the process's `exit` handler stop it when
 *    its owner is done, whether it passed, failed or timed out;
 *  - as a pid file in the run directory named by {@link RUN_DIR_ENV}, when set
 *    (test/harness/global-setup.ts sets it), so {@link reapRunDir} can kill
 *    anything a crashed or killed process left behind.
 */
export interface Stoppable {
  readonly label: string;
  stop(): Promise<void>;
  /** Synchronous last resort for the process `exit` handler. */
  killNow(): void;
}

const live = new Set<Stoppable>();

/** The environment variable naming the run directory for pid files; inherited by child processes. */
export const RUN_DIR_ENV = 'BREAKWATER_HARNESS_RUN_DIR';

/**
 * Registers something to stop with the rest: each server here, and any other
 * process a test or tool starts (test/listen-client's Python pusher). With a pid
 * and a run directory it also gets a pid file, though {@link reapRunDir} kills
 * only redis-servers. Returns the unregister function.
 */
export function register(item: Stoppable, pid: number | undefined): () => void {
  live.add(item);
  const file = pidFile(pid);
  if (file) writeFileSync(file, `${pid}\n${item.label}\n`);
  return () => {
    live.delete(item);
    if (file) rmSync(file, { force: true });
  };
}

/** Stops everything this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  const items = [...live];
  await Promise.allSettled(items.map((item) => item.stop()));
}

export function liveCount(): number {
  return live.size;
}

process.once('exit', () => {
  for (const item of live) item.killNow();
});

function pidFile(pid: number | undefined): string | undefined {
  const dir = process.env[RUN_DIR_ENV];
  if (!dir || pid === undefined) return undefined;
  mkdirSync(dir, { recursive: true });
  return join(dir, `${pid}.pid`);
}

/** Kills every process that still has a pid file in `dir`; returns their labels. */
export function reapRunDir(dir: string): string[] {
  const reaped: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
  } catch {
    return reaped;
  }
  for (const file of files) {
    const [pidText, label = 'unknown'] = readFileSync(join(dir, file), 'utf8').split('\n');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && isRedisServer(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
        reaped.push(label);
      } catch {
        // already gone
      }
    }
  }
  return reaped;
}

/** Guards against pid reuse: only kill what is still a redis-server. */
function isRedisServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

/**
 * True while `pid` is a live process. A zombie counts as dead: in containers
 * whose init does not reap orphans, a killed server lingers as `Z` forever.
 */
export function isProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): kill(pid, 0) is all we know
  }
}
