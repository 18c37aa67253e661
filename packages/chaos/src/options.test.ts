import { describe, expect, it } from 'vitest';
import { buildSchedule, FAULT_KINDS, prng } from './faults/schedule.js';
import { ChaosUsageError, DEFAULT_CHAOS_OPTIONS, parseChaosOptions, replayCommand } from './options.js';

describe('parseChaosOptions', () => {
  it('defaults to the full campaign: 30 pods, every topology, over 200 faults, a seed from the clock', () => {
    const o = parseChaosOptions([], () => 1234);
    expect(o).toMatchObject({ pods: 30, topologies: ['standalone', 'cluster', 'sentinel'], seed: 1234, help: false });
    expect(o.faults).toBeGreaterThanOrEqual(200);
    expect(o.soakSeconds).toBe(DEFAULT_CHAOS_OPTIONS.soakSeconds);
  });

  it('takes every option, with = or a separate value, and the -- pnpm passes', () => {
    const o = parseChaosOptions([
      '--',
      '--pods=6',
      '--topology',
      'sentinel',
      '--faults',
      '12',
      '--seed',
      '7',
      '--json',
    ]);
    expect(o).toMatchObject({ pods: 6, topologies: ['sentinel'], faults: 12, seed: 7, json: '-' });
    expect(parseChaosOptions(['--write-reliability']).writeReliability).toBe('RELIABILITY.md');
    expect(parseChaosOptions(['--json', 'r.json']).json).toBe('r.json');
    expect(parseChaosOptions(['-h']).help).toBe(true);
  });

  it.each([
    [['--pods', '0'], '--pods expects an integer 1-100, got 0'],
    [['--pods', 'x'], '--pods expects an integer 1-100, got "x"'],
    [['--topology', 'mesh'], '--topology must be one of standalone, cluster, sentinel, all; got "mesh"'],
    [['--faults', '2'], '--faults must be at least one per topology (3), got 2'],
    [['--seed'], '--seed needs a value'],
    [['--soak-seconds', '-1'], '--soak-seconds expects an integer 0-3600, got "-1"'],
    [['--nope'], 'unknown argument "--nope" (see --help)'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseChaosOptions(argv)).toThrow(new ChaosUsageError(message));
  });

  it('names the command that replays a run', () => {
    expect(replayCommand(parseChaosOptions(['--seed', '5']))).toBe('pnpm chaos --seed 5');
    expect(replayCommand(parseChaosOptions(['--pods', '6', '--topology', 'cluster', '--seed', '5']))).toBe(
      'pnpm chaos --pods 6 --topology cluster --seed 5',
    );
  });
});

describe('the schedule', () => {
  it('is the same for the same seed, and has every kind once before any repeats', () => {
    const a = buildSchedule({ seed: 42, faults: 30, pods: 30, kinds: FAULT_KINDS });
    expect(buildSchedule({ seed: 42, faults: 30, pods: 30, kinds: FAULT_KINDS })).toEqual(a);
    expect(new Set(a.slice(0, FAULT_KINDS.length).map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    for (const f of a) {
      expect(f.pods.length).toBeGreaterThanOrEqual(1);
      expect(f.pods.length).toBeLessThanOrEqual(10);
      expect(f.latencyMs).toBeGreaterThanOrEqual(200);
      expect(f.latencyMs).toBeLessThanOrEqual(2_000);
    }
  });

  it('draws from a seeded PRNG in [0, 1)', () => {
    const r = prng(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(prng(1)()).toBe(xs[0]);
  });
});
