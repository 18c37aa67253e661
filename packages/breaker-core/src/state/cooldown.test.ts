import { describe, expect, it } from 'vitest';
import { resolveBreakerConfig } from '../config/breaker-config.js';
import { cooldownFor, jitterUnit } from './cooldown.js';

describe('cooldownFor', () => {
  it('is the base cooldown without escalation or jitter', () => {
    const config = resolveBreakerConfig({ cooldownMs: 60_000, cooldownMultiplier: 1 });
    expect([0, 1, 5].map((k) => cooldownFor(config, k, 1, 0))).toEqual([60_000, 60_000, 60_000]);
  });

  it('by default probes 1 s after a trip, then 2 s and every 3 s', () => {
    const config = resolveBreakerConfig();
    expect([0, 1, 2, 3, 4, 50].map((k) => cooldownFor(config, k, k + 1, 1_800_000_000_000 + k))).toEqual([
      1_000, 2_000, 3_000, 3_000, 3_000, 3_000,
    ]);
  });

  it('multiplies per failed probe up to the cap', () => {
    const config = resolveBreakerConfig({ cooldownMs: 1_000, cooldownMultiplier: 3, maxCooldownMs: 20_000 });
    expect([0, 1, 2, 3, 4].map((k) => cooldownFor(config, k, 1, 0))).toEqual([1_000, 3_000, 9_000, 20_000, 20_000]);
  });

  it('adds jitter within [0, jitter × cooldown), varying with generation and time', () => {
    const config = resolveBreakerConfig({ cooldownMs: 10_000, maxCooldownMs: 600_000, cooldownJitter: 0.2 });
    const values = new Set<number>();
    for (let gen = 1; gen <= 50; gen++) {
      const c = cooldownFor(config, 0, gen, 1_800_000_000_000 + gen * 13);
      expect(c).toBeGreaterThanOrEqual(10_000);
      expect(c).toBeLessThan(12_000);
      values.add(c);
    }
    expect(values.size).toBeGreaterThan(40);
  });

  it('never exceeds the cap, jitter included', () => {
    const config = resolveBreakerConfig({
      cooldownMs: 10_000,
      cooldownMultiplier: 2,
      maxCooldownMs: 35_000,
      cooldownJitter: 0.5,
    });
    for (let gen = 1; gen <= 50; gen++) {
      const now = 1_800_000_000_000 + gen * 13;
      expect(cooldownFor(config, 1, gen, now)).toBeLessThanOrEqual(30_000); // 20 s + up to 50 %
      expect(cooldownFor(config, 1, gen, now)).toBeGreaterThanOrEqual(20_000);
      expect(cooldownFor(config, 3, gen, now)).toBe(35_000); // capped before and after the jitter
    }
  });

  it('keeps the jitter unit in [0, 1)', () => {
    for (const [g, t] of [
      [0, 0],
      [1_000_002, 1_000_002],
      [2 ** 31, 1_800_000_000_000],
    ] as const) {
      const u = jitterUnit(g, t);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});
