import { createClusterBreaker } from '@breakwater/breaker-core';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { fmt, median } from '../stats.js';

/**
 * ns/op of the hot path (allow() closed and open, recordFailure()), and
 * execute() overhead on an already-resolved function next to opossum's fire()
 * and cockatiel's execute(), all in one process, interleaved round by round so
 * drift affects every contender alike.
 */
export interface HotPathResult {
  readonly allowNs: number;
  /** allow() on an open breaker: refused, and the rejection counted for the metrics. */
  readonly allowOpenNs: number;
  readonly recordFailureNs: number;
  readonly execute: ReadonlyArray<{ name: string; nsPerOp: number; overheadNs: number }>;
}

/** How much to run; the defaults are what `pnpm bench` measures. */
export interface HotPathSize {
  readonly syncOps: number;
  readonly asyncOps: number;
  readonly rounds: number;
}

export const HOT_PATH_SIZE: HotPathSize = { syncOps: 5_000_000, asyncOps: 200_000, rounds: 7 };

export async function benchHotPath(redisUrl: string, size: HotPathSize = HOT_PATH_SIZE): Promise<HotPathResult> {
  const breaker = await createClusterBreaker({
    name: 'bench-hot-path',
    redis: redisUrl,
    podId: 'bench',
    // Never trips during the run: the numbers are for the closed, admitting path.
    config: { failureThreshold: 1_000_000_000 },
  });
  // Tripped by its first failure and cooling down for the whole run: the refusing path.
  const open = await createClusterBreaker({
    name: 'bench-hot-path-open',
    redis: redisUrl,
    podId: 'bench',
    config: { failureThreshold: 1, cooldownMs: 600_000 },
  });
  open.recordFailure();
  while (open.state !== 'open') await new Promise((r) => setTimeout(r, 1));
  const fn = () => Promise.resolve(1);
  const opossum = new CircuitBreaker(fn, { timeout: false, errorThresholdPercentage: 50 });
  const cockatiel = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });

  const contenders: Record<string, () => Promise<unknown>> = {
    'baseline: await fn()': () => fn(),
    'Breakwater ClusterBreaker.execute()': () => breaker.execute(fn),
    'opossum 9 fire() (timeout off)': () => opossum.fire(),
    'cockatiel 3 execute()': () => cockatiel.execute(fn),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const allowSamples: number[] = [];
  const allowOpenSamples: number[] = [];
  const recordSamples: number[] = [];

  for (let round = 0; round < size.rounds; round++) {
    allowSamples.push(timeSync(() => breaker.allow(), size.syncOps));
    allowOpenSamples.push(timeSync(() => !open.allow(), size.syncOps));
    recordSamples.push(timeSync(() => breaker.recordFailure(), size.syncOps));
    for (const [name, run] of Object.entries(contenders)) samples[name]?.push(await timeAsync(run, size.asyncOps));
  }
  const recordFailureNs = median(recordSamples);
  await breaker.close();
  await open.close();
  opossum.shutdown();

  const baseline = median(samples['baseline: await fn()'] ?? []);
  return {
    allowNs: median(allowSamples),
    allowOpenNs: median(allowOpenSamples),
    recordFailureNs,
    execute: Object.entries(samples).map(([name, s]) => ({
      name,
      nsPerOp: median(s),
      overheadNs: median(s) - baseline,
    })),
  };
}

function timeSync(op: () => unknown, ops: number): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) if (op()) sink++;
  const ns = Number(process.hrtime.bigint() - start) / ops;
  if (sink < 0) console.log(sink); // keep the loop observable
  return ns;
}

async function timeAsync(op: () => Promise<unknown>, ops: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await op();
  return Number(process.hrtime.bigint() - start) / ops;
}

export function hotPathTable(r: HotPathResult): string {
  const lines = [
    '| operation | ns/op |',
    '|---|---:|',
    `| \`allow()\` (closed) | ${fmt(r.allowNs)} |`,
    `| \`allow()\` (open: refused, rejection counted) | ${fmt(r.allowOpenNs)} |`,
    `| \`recordFailure()\` (counted locally, flushed per interval) | ${fmt(r.recordFailureNs)} |`,
    '',
    '| execute() on an already-resolved function | ns/op | overhead over `await fn()` (ns) | overhead vs Breakwater |',
    '|---|---:|---:|---:|',
  ];
  const ours = r.execute.find((e) => e.name.startsWith('Breakwater'))?.overheadNs ?? Number.NaN;
  for (const e of r.execute) {
    const ratio = e.name.startsWith('baseline') ? '—' : `${fmt(e.overheadNs / ours, 2)}×`;
    lines.push(`| ${e.name} | ${fmt(e.nsPerOp)} | ${fmt(e.overheadNs)} | ${ratio} |`);
  }
  return lines.join('\n');
}
