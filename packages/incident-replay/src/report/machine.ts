import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem, type } from 'node:os';

/** What the numbers were measured on: printed and written next to every result. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly redis: string;
  readonly loadAverage1m: number;
  /** The repository's commit (with `+dirty` for uncommitted changes), or 'unknown'. */
  readonly commit: string;
}

/** This machine now: CPU, cores, memory, OS, Node, the local redis-server's version, load, commit. */
export function describeMachine(): Machine {
  let redis = 'unknown';
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1] ?? redis;
  } catch {
    // no local binary
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${process.arch}`,
    node: process.version,
    redis,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    commit: gitCommit(),
  };
}

function gitCommit(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') === '' ? '' : '+dirty'}`;
  } catch {
    return 'unknown';
  }
}

/** A machine busy before the replay starts may be measured along with it: say so. */
export function busyWarning(m: Machine): string | undefined {
  return m.loadAverage1m > m.cores * 0.5
    ? `the 1-min load average was ${m.loadAverage1m} on ${m.cores} cores when the replay started: something else ran recently or still runs, and the figures may include it`
    : undefined;
}

/** One line for a report or BENCHMARKS.md, e.g. `Intel Xeon, 2 cores, 24 GiB (22 GiB free), Linux x64, …`. */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB (${Math.round(freemem() / 2 ** 30)} GiB free), ${m.os}, Node ${m.node}, Redis ${m.redis}, 1-min load average at start ${m.loadAverage1m}, commit ${m.commit}`;
}

/**
 * Whole-machine CPU busy fraction since the previous call (0–1), from the
 * kernel's per-core tick counters: how busy the box got while it replayed.
 */
export function cpuBusySampler(): () => number {
  let last = totals();
  return () => {
    const now = totals();
    const total = now.total - last.total;
    const idle = now.idle - last.idle;
    last = now;
    return total > 0 ? Math.max(0, Math.min(1, 1 - idle / total)) : 0;
  };
}

function totals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}
