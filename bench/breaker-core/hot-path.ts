import { createClusterBreaker } from '@breakwater/breaker-core';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { fmt, median } from '../stats.js';

/**
 * ns/op of the hot path, and execute() overhead on an already-resolved function
 * next to opossum's fire() and cockatiel's execute(), all in one process,
 * interleaved round by round so drift affects every contender alike.
 */
export interface HotPathResult {
  readonly allowNs: number;
  readonly recordFailureNs: number;
  readonly execute: ReadonlyArray<{ name: string; nsPerOp: number; overheadNs: number }>;
}

const SYNC_OPS = 5_000_000;
const ASYNC_OPS = 200_000;
const ROUNDS = 7;

export async function benchHotPath(redisUrl: string): Promise<HotPathResult> {
  const breaker = await createClusterBreaker({
    name: 'bench-hot-path',
    redis: redisUrl,
    podId: 'bench',
    // Never trips during the run: the numbers are for the closed, admitting path.
    config: { failureThreshold: 1_000_000_000 },
  });
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
  const recordSamples: number[] = [];

  for (let round = 0; round < ROUNDS; round++) {
    allowSamples.push(timeSync(() => breaker.allow()));
    recordSamples.push(timeSync(() => breaker.recordFailure()));
    for (const [name, run] of Object.entries(contenders)) samples[name]?.push(await timeAsync(run));
  }
  const recordFailureNs = median(recordSamples);
  await breaker.close();
  opossum.shutdown();

  const baseline = median(samples['baseline: await fn()'] ?? []);
  return {
    allowNs: median(allowSamples),
    recordFailureNs,
    execute: Object.entries(samples).map(([name, s]) => ({
      name,
      nsPerOp: median(s),
      overheadNs: median(s) - baseline,
    })),
  };
}

function timeSync(op: () => unknown): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < SYNC_OPS; i++) if (op()) sink++;
  const ns = Number(process.hrtime.bigint() - start) / SYNC_OPS;
  if (sink < 0) console.log(sink); // keep the loop observable
  return ns;
}

async function timeAsync(op: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ASYNC_OPS; i++) await op();
  return Number(process.hrtime.bigint() - start) / ASYNC_OPS;
}

export function hotPathTable(r: HotPathResult): string {
  const lines = [
    '| operation | ns/op |',
    '|---|---:|',
    `| \`allow()\` (closed) | ${fmt(r.allowNs)} |`,
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
