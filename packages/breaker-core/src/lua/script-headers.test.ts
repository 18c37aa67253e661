import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_ACTOR_LENGTH, MAX_REASON_LENGTH } from '../store/store-input.js';

/**
 * The header contract of each script is what callers read; these hold it to the
 * code: every string argument the script checks (bw_str) is documented with the
 * byte bound the check uses, and those bounds fit what the TS side allows.
 */
const dir = new URL('./', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, dir), 'utf8');
const scripts = readdirSync(dir).filter((f) => f.endsWith('.lua'));

/** `local BW_X = 512` constants of includes/args.lua. */
const constants = new Map(
  [...read('includes/args.lua').matchAll(/^local (BW_[A-Z_]+) = (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
);
const bound = (expr: string) => (/^\d+$/.test(expr) ? Number(expr) : constants.get(expr));

describe('Lua script headers', () => {
  it.each(scripts)('%s documents each string argument with the byte bound its code checks', (file) => {
    const source = read(file);
    const header = source.slice(0, source.indexOf(']]'));
    const checks = [...source.matchAll(/bw_str\(ARGV\[(\d+)\], '(\w+)', (\w+)\)/g)];
    for (const [, index, argument, expr] of checks) {
      const line = new RegExp(`ARGV\\[${index}\\]\\s+[^\\n]*?\\(1\\.\\.([\\d,]+) bytes`).exec(header);
      expect(line, `${file}: ARGV[${index}] (${argument}) has no "(1..N bytes" in the header`).not.toBeNull();
      expect(Number(line?.[1]?.replace(/,/g, '')), `${file}: ARGV[${index}] (${argument})`).toBe(bound(expr as string));
    }
  });

  it('bounds actor and reason in bytes at 4 per character the TS side allows, so a valid call always fits', () => {
    expect(constants.get('BW_MAX_ACTOR_BYTES')).toBe(MAX_ACTOR_LENGTH * 4);
    expect(constants.get('BW_MAX_REASON_BYTES')).toBe(MAX_REASON_LENGTH * 4);
  });
});
