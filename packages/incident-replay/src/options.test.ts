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
          '--pusher-capacity',
          '50:200:10.5',
          '--pusher-overload',
          'stall',
          '--pusher-max-sessions',
          '900',
          '--runs',
          '3',
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
      pusherCapacity: { initialRate: 50, maxRate: 200, warmUpSeconds: 10.5 },
      pusherOverload: 'stall',
      pusherMaxSessions: 900,
      runs: 3,
    });
    expect(parseReplayArgs(['--pusher-capacity', 'none', '--pusher-max-sessions', 'none'], {})).toMatchObject({
      pusherCapacity: null,
      pusherMaxSessions: null,
    });
    expect(parseReplayArgs([], {})).toMatchObject({
      pusherCapacity: { initialRate: 100, maxRate: 400, warmUpSeconds: 30 },
      pusherOverload: 'http-503',
      podNice: 10,
      runs: 1,
    });
    expect(parseReplayArgs(['--pod-nice', '0'], {})).toMatchObject({ podNice: 0 });
    expect(parseReplayArgs(['--help'], {})).toBe('help');
  });

  it.each([
    [['--pods', '0'], /--pods: expected a number from 1 to 200, got "0"/],
    [['--pods', '2.5'], /--pods: expected a whole number/],
    [['--pod-nice', '20'], /--pod-nice: expected a number from 0 to 19, got "20"/],
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
    [['--pusher-capacity', '100'], /--pusher-capacity: expected INITIAL:MAX:WARMUP .* got "100"/],
    [['--pusher-capacity', '0:400:30'], /--pusher-capacity: .*INITIAL must be in \(0, 100000\], got 0/],
    [['--pusher-capacity', '400:100:30'], /--pusher-capacity: .*MAX must be from INITIAL \(400\)/],
    [['--pusher-capacity', '100:400:5000'], /--pusher-capacity: .*WARMUP must be from 0 to 3600 s/],
    [['--pusher-capacity', '100:400:-1'], /--pusher-capacity: expected INITIAL:MAX:WARMUP/],
    [['--pusher-overload', '429'], /--pusher-overload: expected one of http-503, close-1011, stall/],
    [['--pusher-max-sessions', '0'], /--pusher-max-sessions: expected a number from 1 to 1000000/],
    [['--runs', '0'], /--runs: expected a number from 1 to 20/],
    [['--runs', '1.5'], /--runs: expected a whole number/],
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
