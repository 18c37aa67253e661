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
