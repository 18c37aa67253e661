/** Every fault the campaign injects. */
export const FAULT_KINDS = [
  'redis-kill-restart',
  'redis-stop-cont',
  'failover-manual',
  'failover-kill',
  'cut-blackhole',
  'cut-reset',
  'latency',
  'pod-sigstop',
  'pod-busy-loop',
  'probe-holder-kill',
  'operator',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAILOVER_KINDS: readonly FaultKind[] = ['failover-manual', 'failover-kill'];

/** One scheduled fault. */
export interface FaultSpec {
  readonly index: number;
  readonly kind: FaultKind;
  /** How long the fault is held, ms (where the kind has a duration). */
  readonly holdMs: number;
  /** The pods it hits (cuts, latency, stalls). */
  readonly pods: readonly number[];
  /** Added latency each way, ms (`latency`). */
  readonly latencyMs: number;
  /** An operator action through the admin API while the fault is on. */
  readonly operator: 'force-open' | 'clear' | null;
  /** Make the fleet fail (trip) while the fault is on: ordinary trip/half-open/close traffic. */
  readonly upstreamFails: boolean;
}

/** mulberry32: a small seeded PRNG, the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly faults: number;
  readonly pods: number;
  readonly kinds: readonly FaultKind[];
}

/**
 * The seeded schedule: every kind once (shuffled) first, then kinds at random; the
 * durations, the pods hit and the operator actions drawn from the same PRNG, so a
 * seed replays the same campaign.
 */
export function buildSchedule(o: ScheduleOptions): FaultSpec[] {
  const rnd = prng(o.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const first = [...o.kinds];
  for (let i = first.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [first[i], first[j]] = [first[j] as FaultKind, first[i] as FaultKind];
  }
  const out: FaultSpec[] = [];
  for (let index = 0; index < o.faults; index++) {
    const kind =
      index < first.length ? (first[index] as FaultKind) : (o.kinds[int(0, o.kinds.length - 1)] as FaultKind);
    const subset = int(1, Math.max(1, Math.floor(o.pods / 3)));
    const pods = new Set<number>();
    while (pods.size < subset) pods.add(int(0, o.pods - 1));
    const holdMs =
      kind === 'redis-stop-cont' ? int(300, 1_200) : kind === 'redis-kill-restart' ? int(200, 800) : int(1_000, 4_000);
    const r = rnd();
    const operator =
      kind === 'operator' ? (r < 0.5 ? 'force-open' : 'clear') : r < 0.15 ? 'force-open' : r < 0.3 ? 'clear' : null;
    out.push({
      index,
      kind,
      holdMs,
      pods: [...pods].sort((a, b) => a - b),
      latencyMs: int(200, 2_000),
      operator,
      upstreamFails: rnd() < 0.4,
    });
  }
  return out;
}
