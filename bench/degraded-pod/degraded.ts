/**
 * What a listen pod costs while pusher is down and every session is degraded:
 * one pod process (pod.ts) with a ClusterBreaker and `sessions` PusherSessions
 * against a real redis-server (its own, started per run) and a pusher stand-in
 * that refuses every connection, next to the same app with no library at all
 * (`app-only`), so the library's share is the difference. Each run is a fresh
 * process, Redis and stand-in; runs are repeated with the machine's other core
 * quiet and busy (a spinning process), and, with `against`, interleaved with the
 * same pod loading the library from another commit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClusterBreaker } from '@breakwater/breaker-core';
import { PusherStandIn } from '@breakwater/pusher-stand-in';
import { startRedis } from '@breakwater/redis-harness';
import { fmt, median } from '../stats.js';
import type { PodConfig, PodResult, PodVariant } from './pod.js';

export type Load = 'quiet' | 'busy';

export interface DegradedOptions {
  readonly runs: number;
  readonly sessions: number;
  readonly windowMs: number;
  readonly settleMs: number;
  readonly audioEveryMs: number;
  readonly transcriptEveryMs: number;
  readonly loads: readonly Load[];
  readonly variants: readonly PodVariant[];
  /** A git ref to measure side by side (its library in the same pod), interleaved run by run. */
  readonly against?: string | undefined;
  readonly log?: (line: string) => void;
}

export const DEFAULT_DEGRADED_OPTIONS: DegradedOptions = {
  runs: 3,
  sessions: 50,
  windowMs: 10_000,
  settleMs: 2_000,
  audioEveryMs: 20,
  transcriptEveryMs: 1_000,
  loads: ['quiet', 'busy'],
  variants: ['app-only', 'open', 'half-open-held', 'fleet'],
};

export interface Side {
  readonly label: string;
  readonly libRoot: string;
}

export interface DegradedRun {
  readonly side: string;
  readonly load: Load;
  readonly loadAverage: number;
  readonly result: PodResult;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const benchDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** One pod run: fresh Redis and stand-in; `busy` keeps another core spinning meanwhile. */
export async function runPod(side: Side, variant: PodVariant, load: Load, o: DegradedOptions): Promise<DegradedRun> {
  const loadAverage = loadavg()[0] ?? 0;
  const redis = await startRedis();
  const pusher = await PusherStandIn.start();
  pusher.setFault({ kind: 'refuse' });
  let burner: ChildProcess | undefined;
  let stopOther = async () => {};
  try {
    if (variant === 'half-open-held') stopOther = await holdLease(redis.url);
    if (variant === 'fleet') stopOther = await otherPods(redis.url, FLEET_PODS - 1);
    if (load === 'busy') burner = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    const config: PodConfig = {
      variant,
      libRoot: side.libRoot,
      redisUrl: redis.url,
      pusherUrl: pusher.url,
      sessions: o.sessions,
      audioEveryMs: o.audioEveryMs,
      transcriptEveryMs: o.transcriptEveryMs,
      settleMs: o.settleMs,
      windowMs: o.windowMs,
      keyPrefix: 'bench-degraded',
    };
    const result = await spawnPod(config);
    return { side: side.label, load, loadAverage, result };
  } finally {
    if (burner?.pid) process.kill(burner.pid, 'SIGKILL');
    await stopOther();
    await pusher.close();
    await redis.stop();
  }
}

function spawnPod(config: PodConfig): Promise<PodResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@breakwater/source', join(here, 'pod.ts')],
      {
        cwd: benchDir,
        env: { ...process.env, BW_DEGRADED_POD: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`pod exited with ${code}: ${err.slice(-2_000)}`));
      else resolve(JSON.parse(line) as PodResult);
    });
  });
}

/**
 * Another pod of the fleet that takes the probe lease whenever it can and never
 * reports it (it expires after probeLeaseMs and is taken again), so the measured
 * pod sits in half_open with someone else probing.
 */
async function holdLease(redisUrl: string): Promise<() => Promise<void>> {
  const other = await createClusterBreaker({
    name: 'pusher',
    redis: redisUrl,
    prefix: 'bench-degraded',
    podId: 'other-pod',
  });
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await other.acquireProbe();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await other.close();
  };
}

/** Pods in the `fleet` variant, the measured one included (the replay's). */
export const FLEET_PODS = 30;

/**
 * The rest of a fleet whose probes fail: `n` pods (one ClusterBreaker each, own
 * connections, in this process), each asking for the probe lease whenever its
 * view allows (as its degraded sessions would) and reporting a failure 50 ms
 * after a grant (pusher refused the probe), so the breaker cycles open →
 * half_open → open on the default cooldowns and the measured pod hears every
 * transition, probing only when it wins the lease.
 */
async function otherPods(redisUrl: string, n: number): Promise<() => Promise<void>> {
  const pods = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      createClusterBreaker({ name: 'pusher', redis: redisUrl, prefix: 'bench-degraded', podId: `other-pod-${i}` }),
    ),
  );
  let stopped = false;
  const loops = pods.map(async (pod) => {
    while (!stopped) {
      const lease = await pod.acquireProbe();
      if (lease) {
        await new Promise((r) => setTimeout(r, 50));
        await pod.reportProbe(lease, 'failure');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
    await Promise.all(pods.map((p) => p.close()));
  };
}

/** A worktree of `ref` with its own locked install; removed by the returned function. */
export function checkout(ref: string): { side: Side; remove: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'bw-bench-degraded-'));
  const sh = (cmd: string, args: string[], cwd: string) =>
    execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  sh('git', ['worktree', 'add', '--detach', base, ref], repoRoot);
  const remove = () => {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', base], { cwd: repoRoot, stdio: 'ignore' });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };
  try {
    sh('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], base);
  } catch (err) {
    remove();
    throw err;
  }
  const short = sh('git', ['-C', base, 'rev-parse', '--short', 'HEAD'], base).trim();
  return { side: { label: ref === short ? ref : `${ref} (${short})`, libRoot: base }, remove };
}

export function thisCheckout(): Side {
  const short = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages'], {
    cwd: benchDir,
    encoding: 'utf8',
  });
  return { label: `this checkout (${short}${dirty.trim() ? '+changes' : ''})`, libRoot: repoRoot };
}

/**
 * Every run, interleaved: for each round, each load, each variant, each side
 * (`app-only` has no library: run once per round and load, on the first side).
 */
export async function benchDegraded(o: DegradedOptions): Promise<{ runs: DegradedRun[]; sides: Side[] }> {
  const log = o.log ?? (() => {});
  const mine = thisCheckout();
  const other = o.against ? checkout(o.against) : undefined;
  const sides = other ? [other.side, mine] : [mine];
  const runs: DegradedRun[] = [];
  try {
    for (let round = 1; round <= o.runs; round++) {
      for (const load of o.loads) {
        for (const variant of o.variants) {
          for (const side of variant === 'app-only' ? [mine] : sides) {
            const run = await runPod(side, variant, load, o);
            log(
              `round ${round}/${o.runs} ${load} ${variant} ${side.label}: cpu ${fmt(run.result.cpuPerSec, 3)} s/s, ` +
                `redis ${fmt(run.result.redisRequestsPerSec, 2)}/s, timeouts ≤ ${run.result.timeoutsMax}, ` +
                `dials ${run.result.dials}, load avg ${fmt(run.loadAverage, 2)}`,
            );
            runs.push(run);
          }
        }
      }
    }
  } finally {
    other?.remove();
  }
  return { runs, sides };
}

const mmm = (xs: number[], digits: number) =>
  xs.length === 0
    ? '—'
    : `${fmt(Math.min(...xs), digits)} / ${fmt(median(xs), digits)} / ${fmt(Math.max(...xs), digits)}`;

/** The tables: per side, load and variant, min / median / max over the runs; the library's share next to app-only. */
export function degradedTables(runs: readonly DegradedRun[], sides: readonly Side[], o: DegradedOptions): string {
  const pick = (side: string | null, load: Load, variant: PodVariant) =>
    runs.filter((r) => (side === null || r.side === side) && r.load === load && r.result.variant === variant);
  const lines = [
    '| client | other core | pod | CPU (s/s) | library CPU over app-only (ms/s, medians) | event-loop utilization | Redis requests/s | active timers (max) | dials in window |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const load of o.loads) {
    const app = pick(null, load, 'app-only');
    const appMedian = median(app.map((r) => r.result.cpuPerSec));
    if (app.length > 0) {
      lines.push(
        `| none (app only) | ${load} | ${o.sessions} app sessions | ${mmm(
          app.map((r) => r.result.cpuPerSec),
          3,
        )} | — | ${mmm(
          app.map((r) => r.result.elu),
          3,
        )} | — | ${mmm(
          app.map((r) => r.result.timeoutsMax),
          0,
        )} | — |`,
      );
    }
    for (const variant of o.variants) {
      if (variant === 'app-only') continue;
      for (const side of sides) {
        const rs = pick(side.label, load, variant).map((r) => r.result);
        if (rs.length === 0) continue;
        const share = (median(rs.map((r) => r.cpuPerSec)) - appMedian) * 1_000;
        lines.push(
          `| ${side.label} | ${load} | ${variant} | ${mmm(
            rs.map((r) => r.cpuPerSec),
            3,
          )} | ${fmt(share, 1)} | ${mmm(
            rs.map((r) => r.elu),
            3,
          )} | ${mmm(
            rs.map((r) => r.redisRequestsPerSec),
            2,
          )} | ${mmm(
            rs.map((r) => r.timeoutsMax),
            0,
          )} | ${mmm(
            rs.map((r) => r.dials),
            0,
          )} |`,
        );
      }
    }
  }
  return lines.join('\n');
}

/** Redis requests per second by command (medians), per side and variant, quiet load. */
export function commandTable(runs: readonly DegradedRun[], sides: readonly Side[], o: DegradedOptions): string {
  const names = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.result.redisByCommand)) names.add(k);
  // Commands only sent at start-up (CLIENT SETNAME, the INFO ready check) are 0 in every window: left out.
  const cols = [...names].sort().filter((c) => runs.some((r) => (r.result.redisByCommand[c] ?? 0) > 0));
  const lines = [`| client | pod | ${cols.join(' | ')} |`, `|---|---|${cols.map(() => '---:').join('|')}|`];
  for (const variant of o.variants) {
    if (variant === 'app-only') continue;
    for (const side of sides) {
      const rs = runs.filter((r) => r.side === side.label && r.result.variant === variant);
      if (rs.length === 0) continue;
      lines.push(
        `| ${side.label} | ${variant} | ${cols.map((c) => fmt(median(rs.map((r) => r.result.redisByCommand[c] ?? 0)), 2)).join(' | ')} |`,
      );
    }
  }
  return lines.join('\n');
}
