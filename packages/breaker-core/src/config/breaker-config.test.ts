import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import {
  canonicalConfigJson,
  configHash,
  DEFAULT_BREAKER_CONFIG,
  parseCanonicalConfig,
  resolveBreakerConfig,
} from './breaker-config.js';

describe('resolveBreakerConfig', () => {
  it('fills the documented defaults', () => {
    expect(resolveBreakerConfig()).toEqual({
      windowMs: 30_000,
      bucketMs: 1_000,
      failureThreshold: 20,
      minFailureRatio: 0.5,
      failureRate: null,
      quorum: 1,
      cooldownMs: 1_000,
      cooldownMultiplier: 2,
      maxCooldownMs: 3_000,
      cooldownJitter: 0,
      probeLeaseMs: 10_000,
      successThreshold: 1,
      mode: 'enforce',
    });
  });

  it('keeps explicit zeros instead of replacing them with defaults', () => {
    expect(resolveBreakerConfig({ cooldownJitter: 0 }).cooldownJitter).toBe(0);
    expect(resolveBreakerConfig({ minFailureRatio: 0 }).minFailureRatio).toBe(0);
  });

  it('lets an omitted maxCooldownMs follow a cooldown longer than its default', () => {
    expect(resolveBreakerConfig({ cooldownMs: 2_000 }).maxCooldownMs).toBe(3_000);
    expect(resolveBreakerConfig({ cooldownMs: 4_000 }).maxCooldownMs).toBe(4_000);
    expect(resolveBreakerConfig({ cooldownMs: 60_000 })).toMatchObject({ cooldownMs: 60_000, maxCooldownMs: 60_000 });
    expect(resolveBreakerConfig({ cooldownMs: 60_000, maxCooldownMs: 600_000 }).maxCooldownMs).toBe(600_000);
  });

  it.each([
    [{ windowMs: 999 }, 'config.windowMs', /\[1000, 3600000\], got 999/],
    [{ bucketMs: 7_000 }, 'config.bucketMs', /multiple of bucketMs/],
    [{ windowMs: 3_600_000, bucketMs: 1_000 }, 'config.bucketMs', /at most 600 buckets/],
    [{ failureThreshold: 0 }, 'config.failureThreshold', /got 0/],
    [{ failureThreshold: 2.5 }, 'config.failureThreshold', /integer/],
    [{ failureThreshold: '20' }, 'config.failureThreshold', /got "20"/],
    [{ minFailureRatio: -0.1 }, 'config.minFailureRatio', /\[0, 1\], got -0.1/],
    [{ minFailureRatio: 1.01 }, 'config.minFailureRatio', /\[0, 1\], got 1.01/],
    [{ minFailureRatio: Number.NaN }, 'config.minFailureRatio', /got NaN/],
    [{ minFailureRatio: '0.5' }, 'config.minFailureRatio', /got "0.5"/],
    [{ minFailureRatio: null }, 'config.minFailureRatio', /got null/],
    [{ failureRate: { threshold: 0, minimumCalls: 5 } }, 'config.failureRate.threshold', /\(0, 1\]/],
    [{ failureRate: { threshold: 0.5 } }, 'config.failureRate.minimumCalls', /got undefined/],
    [{ failureRate: { threshold: 0.5, minimumCalls: 5, extra: 1 } }, 'config.failureRate.extra', /unknown option/],
    [{ quorum: 0 }, 'config.quorum', /got 0/],
    [{ cooldownMs: 50 }, 'config.cooldownMs', /got 50/],
    [{ cooldownMultiplier: 0.5 }, 'config.cooldownMultiplier', /\[1, 100\]/],
    [{ cooldownMs: 60_000, maxCooldownMs: 30_000 }, 'config.maxCooldownMs', /\[60000, 86400000\]/],
    [{ cooldownMs: 4_000, maxCooldownMs: 3_000 }, 'config.maxCooldownMs', /\[4000, 86400000\], got 3000/],
    [{ cooldownJitter: 1.5 }, 'config.cooldownJitter', /\[0, 1\]/],
    [{ probeLeaseMs: Number.POSITIVE_INFINITY }, 'config.probeLeaseMs', /Infinity/],
    [{ successThreshold: 0 }, 'config.successThreshold', /got 0/],
    [{ mode: 'off' }, 'config.mode', /"enforce", "shadow"/],
    [{ windowSize: 10 }, 'config.windowSize', /unknown option/],
  ])('rejects %j naming %s', (input, argument, message) => {
    let error: unknown;
    try {
      resolveBreakerConfig(input as never);
    } catch (err) {
      error = err;
    }
    expect(isInvalidArgumentError(error)).toBe(true);
    expect((error as { argument: string }).argument).toBe(argument);
    expect((error as Error).message).toMatch(message);
  });
});

describe('config hash', () => {
  it('is equal for equal configs, whatever the key order, and differs when a rule differs', () => {
    const a = resolveBreakerConfig({ failureThreshold: 5, quorum: 2 });
    const b = resolveBreakerConfig({ quorum: 2, failureThreshold: 5 });
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(resolveBreakerConfig({ failureThreshold: 6, quorum: 2 })));
    expect(configHash(a)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('covers every rule: the new trip-rule floor changes the hash', () => {
    const base = resolveBreakerConfig();
    expect(configHash(resolveBreakerConfig({ minFailureRatio: 0.25 }))).not.toBe(configHash(base));
    expect(canonicalConfigJson(base)).toContain('["minFailureRatio",0.5]');
  });

  it('reads a config stored before minFailureRatio existed with the rule it was stored under (0)', () => {
    const stored = JSON.stringify(
      JSON.parse(canonicalConfigJson(resolveBreakerConfig())).filter(([k]: [string]) => k !== 'minFailureRatio'),
    );
    expect(parseCanonicalConfig(stored)).toEqual({ ...resolveBreakerConfig(), minFailureRatio: 0 });
  });

  it('round-trips through the canonical JSON stored in Redis', () => {
    const config = resolveBreakerConfig({
      failureRate: { threshold: 0.25, minimumCalls: 40 },
      minFailureRatio: 0.3,
      mode: 'shadow',
    });
    expect(parseCanonicalConfig(canonicalConfigJson(config))).toEqual(config);
    expect(parseCanonicalConfig(canonicalConfigJson(DEFAULT_BREAKER_CONFIG))).toEqual(DEFAULT_BREAKER_CONFIG);
  });
});
