const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/g;

/**
 * `90` (seconds), `90s`, `15m`, `2h`, `1d`, `1h30m`, `500ms` → milliseconds,
 * or undefined when the text is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] as number);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** 900_000 → `15m`, 5_400_000 → `1h30m`; sub-second remainders are dropped. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1_000));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
