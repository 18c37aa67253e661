import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from './errors/invalid-argument-error.js';
import { nonBlankString } from './validate.js';

function refuses(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return isInvalidArgumentError(err);
  }
}

describe('nonBlankString', () => {
  it('counts code points, as JSON Schema maxLength does: 500 emoji fit in 500, 501 do not', () => {
    expect(nonBlankString('reason', '🌊'.repeat(500), 500)).toBe('🌊'.repeat(500));
    expect(refuses(() => nonBlankString('reason', '🌊'.repeat(501), 500))).toBe(true);
    expect(nonBlankString('reason', `${'🌊'.repeat(250)}${'r'.repeat(250)}`, 500)).toHaveLength(750);
    expect(refuses(() => nonBlankString('reason', `${'🌊'.repeat(250)}${'r'.repeat(251)}`, 500))).toBe(true);
  });

  it('counts plain characters and lone surrogates one each', () => {
    expect(nonBlankString('reason', 'r'.repeat(500), 500)).toHaveLength(500);
    expect(refuses(() => nonBlankString('reason', 'r'.repeat(501), 500))).toBe(true);
    expect(nonBlankString('reason', '\ud83c'.repeat(3), 3)).toHaveLength(3);
    expect(refuses(() => nonBlankString('reason', '\udf0a'.repeat(4), 3))).toBe(true);
  });

  it('refuses blanks and non-strings, naming the argument', () => {
    for (const value of ['', ' \t\n', 42, null, undefined, ['a']]) {
      expect(refuses(() => nonBlankString('reason', value, 500))).toBe(true);
    }
    expect(() => nonBlankString('actor', '', 128)).toThrow(/actor/);
  });
});
