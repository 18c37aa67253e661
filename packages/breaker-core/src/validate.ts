import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/**
 * Small checks shared by every Breakwater package. Each throws
 * {@link InvalidArgumentError} naming the argument, the value received and
 * what is allowed; none coerces (`0` stays `0`, `'5'` is not a number).
 */

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}

export function integerInRange(argument: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `expected an integer in [${min}, ${max}], got ${show(value)}`);
  }
  return value;
}

export function numberInRange(
  argument: string,
  value: unknown,
  min: number,
  max: number,
  { minExclusive = false }: { minExclusive?: boolean } = {},
): number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
  if (!ok) {
    throw new InvalidArgumentError(
      argument,
      `expected a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${show(value)}`,
    );
  }
  return value as number;
}

export function oneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      argument,
      `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${show(value)}`,
    );
  }
  return value as T;
}

/** A string of 1..max characters that is not only whitespace. */
export function nonBlankString(argument: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-blank string of at most ${max} characters, got ${show(value)}`,
    );
  }
  return value;
}

export function matching(argument: string, value: unknown, pattern: RegExp, description: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InvalidArgumentError(argument, `expected ${description}, got ${show(value)}`);
  }
  return value;
}

/** Rejects keys the caller did not mean: a typo in an option must not be silently ignored. */
export function knownKeys(argument: string, value: object, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option; allowed: ${allowed.join(', ')}`);
    }
  }
}

export function plainObject(argument: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, `expected an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}
