import { describe, expect, it } from 'vitest';
import { DEFAULT_REPLAY_OPTIONS, parseReplayArgs, ReplayUsageError } from './options.js';

describe('parseReplayArgs', () => {
  it('gives the documented defaults, and REDIS_URL from the environment', () => {
    expect(parseReplayArgs([], { REDIS_URL: 'redis://x:1' })).toEqual({
      ...DEFAULT_REPLAY_OPTIONS,
      redisUrl: 'redis://x:1',
    });
    expect(parseReplayArgs([], {})).toMatchObject({ pods: 30, sessions: 50, timeScale: 5, redisUrl: undefined });
  });

  it('reads every flag', () => {
    expect(
      parseReplayArgs(
        [
          '--pods=3',
          '--sessions',
          '10',
          '--outage-seconds',
          '90',
          '--failure-mode',
          'close-1011',
          '--time-scale',
          '2.5',
          '--phase',
          'breakwater',
          '--sre',
          '--out',
          'x',
          '--json',
          '--write-benchmarks',
        ],
        {},
      ),
    ).toMatchObject({
      pods: 3,
      sessions: 10,
      outageSeconds: 90,
      failureMode: 'close-1011',
      timeScale: 2.5,
      phases: ['breakwater'],
      sre: true,
      outDir: 'x',
      json: true,
      writeBenchmarks: true,
    });
    expect(parseReplayArgs(['--help'], {})).toBe('help');
  });

  it.each([
    [['--pods', '0'], /--pods: expected a number from 1 to 200, got "0"/],
    [['--pods', '2.5'], /--pods: expected a whole number/],
    [['--sessions', 'many'], /--sessions: expected a number/],
    [['--failure-mode', 'explode'], /--failure-mode: expected one of hang, refuse, close-1011/],
    [['--phase', 'all'], /--phase: expected one of baseline, breakwater, both/],
    [['--time-scale', '1000'], /--time-scale: expected a number from 1 to 100/],
    [['--outage-seconds', ''], /--outage-seconds/],
    [['--podz', '3'], /Unknown option '--podz'/],
    [['extra'], /Unexpected argument 'extra'/],
    [['--out', ' '], /--out: expected a directory path/],
    [['--pods', '0x10'], /--pods: expected a number from 1 to 200, got "0x10"/],
    [['--pods', '1e1'], /--pods: expected a number/],
    [['--time-scale', ' 5'], /--time-scale: expected a number/],
    [['--outage-seconds', '-20'], /--outage-seconds/],
    [['--sre', '--phase', 'baseline'], /--sre: .*use --phase breakwater or both/],
  ])('rejects %j with a clear message', (argv, message) => {
    let error: unknown;
    try {
      parseReplayArgs(argv, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReplayUsageError);
    expect((error as Error).message).toMatch(message);
  });
});
