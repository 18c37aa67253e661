/**
 * Delay before wait number `n` (1-based): `base × 2^(n-1)`, capped at `max`,
 * then shortened by up to `jitter` (a fraction) so a fleet's sessions spread out
 * instead of retrying in lock-step. `random` is in [0, 1).
 */
export function backoffDelay(n: number, baseMs: number, maxMs: number, jitter: number, random: () => number): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
  return Math.round(nominal * (1 - jitter * random()));
}
