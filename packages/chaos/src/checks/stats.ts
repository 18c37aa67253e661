/** The q-quantile (0–1) of `values` (nearest rank); 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface Spread {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p99: quantile(values, 0.99),
    max: values.length === 0 ? 0 : Math.max(...values),
  };
}

export interface Violation {
  readonly check: 'divergence' | 'lease' | 'calls' | 'convergence' | 'soak' | 'admin' | 'campaign';
  readonly topology: string;
  readonly detail: string;
}

/** How much of [from, to) the windows cover, overlaps once. */
export function covered(windows: readonly { from: number; to: number }[], from: number, to: number): number {
  const parts = windows
    .map((w) => ({ from: Math.max(w.from, from), to: Math.min(w.to, to) }))
    .filter((w) => w.to > w.from)
    .sort((a, b) => a.from - b.from);
  let total = 0;
  let reach = Number.NEGATIVE_INFINITY;
  for (const w of parts) {
    const start = Math.max(w.from, reach);
    if (w.to > start) total += w.to - start;
    reach = Math.max(reach, w.to);
  }
  return total;
}
