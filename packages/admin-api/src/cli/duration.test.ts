import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from './duration.js';

describe('durations', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    [' 10s ', 10_000],
  ])('parses %j', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '-5m', '1.5h', '15 m', 'm', '15x', 'forever', '1h 30m'])('refuses %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('formats whole seconds compactly', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_061_000)).toBe('1d1h1m1s');
  });
});
