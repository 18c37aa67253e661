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

/**
 * A string of 1..max characters that is not only whitespace. Characters are
 * Unicode code points, as JSON Schema's `maxLength` counts them (so the admin
 * API's schema and the store agree): 🌊 is one character, not two UTF-16 units.
 * The Lua scripts cap the same strings in bytes at 4 × max, which holds since
 * a code point is at most 4 bytes of UTF-8.
 */
export function nonBlankString(argument: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || codePointsExceed(value, max)) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-blank string of at most ${max} characters, got ${show(value)}`,
    );
  }
  return value;
}

/** Whether `text` has more than `max` code points, without allocating and reading at most 2 × max units. */
function codePointsExceed(text: string, max: number): boolean {
  // Each code point is one or two UTF-16 units, so the unit count bounds it on both sides.
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; a lone surrogate counts as one, like Ajv does.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > max) return true;
  }
  return false;
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
