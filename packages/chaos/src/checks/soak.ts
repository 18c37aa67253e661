import type { Recording, Stats } from './record.js';
import { quantile } from './stats.js';

/** Stated tolerances: what "flat" means over a soak. */
export const SOAK_TOLERANCE = Object.freeze({
  /** Heap used at the end at most this much above the start (ratio) plus `heapSlackBytes` (GC noise). */
  heapRatio: 1.25,
  heapSlackBytes: 8 * 1024 * 1024,
  rssRatio: 1.15,
  rssSlackBytes: 16 * 1024 * 1024,
  /** Active handles/requests: at most this many more. */
  handlesSlack: 3,
  /** Redis keys under the prefix: at most this many more. */
  keysSlack: 2,
});

export interface SoakFindings {
  readonly seconds: number;
  readonly pods: number;
  /** Fleet totals, start → end (medians of each pod's first and last five samples). */
  readonly heapMb: readonly [number, number];
  readonly rssMb: readonly [number, number];
  readonly handles: readonly [number, number];
  readonly keys: readonly [number, number];
  /** The pod whose heap grew most, ratio end / start. */
  readonly worstHeapRatio: number;
  readonly violations: string[];
}

/** Memory, handles and Redis keys at the start and the end of a soak, against {@link SOAK_TOLERANCE}. */
export function checkSoak(
  rec: Recording,
  from: number,
  to: number,
  keysBefore: number,
  keysAfter: number,
): SoakFindings {
  const t = SOAK_TOLERANCE;
  const violations: string[] = [];
  let heap: [number, number] = [0, 0];
  let rss: [number, number] = [0, 0];
  let handles: [number, number] = [0, 0];
  let worstHeapRatio = 0;
  let pods = 0;
  const med = (xs: Stats[], f: (s: Stats) => number) => quantile(xs.map(f), 0.5);
  for (const [podId, all] of rec.stats) {
    const during = all.filter((s) => s.at >= from && s.at <= to);
    if (during.length < 10) continue;
    pods++;
    const head = during.slice(0, 5);
    const tail = during.slice(-5);
    const h0 = med(head, (s) => s.heapUsed);
    const h1 = med(tail, (s) => s.heapUsed);
    const r0 = med(head, (s) => s.rss);
    const r1 = med(tail, (s) => s.rss);
    const n0 = med(head, (s) => s.handles);
    const n1 = med(tail, (s) => s.handles);
    heap = [heap[0] + h0, heap[1] + h1];
    rss = [rss[0] + r0, rss[1] + r1];
    handles = [handles[0] + n0, handles[1] + n1];
    worstHeapRatio = Math.max(worstHeapRatio, h1 / h0);
    if (h1 > h0 * t.heapRatio + t.heapSlackBytes) violations.push(`${podId}: heap ${mb(h0)} → ${mb(h1)} MB`);
    if (r1 > r0 * t.rssRatio + t.rssSlackBytes) violations.push(`${podId}: RSS ${mb(r0)} → ${mb(r1)} MB`);
    if (n1 > n0 + t.handlesSlack) violations.push(`${podId}: handles ${n0} → ${n1}`);
  }
  if (keysAfter > keysBefore + t.keysSlack) violations.push(`Redis keys ${keysBefore} → ${keysAfter}`);
  return {
    seconds: Math.round((to - from) / 1000),
    pods,
    heapMb: [mb(heap[0]), mb(heap[1])],
    rssMb: [mb(rss[0]), mb(rss[1])],
    handles,
    keys: [keysBefore, keysAfter],
    worstHeapRatio: Math.round(worstHeapRatio * 100) / 100,
    violations,
  };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
