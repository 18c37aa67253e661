import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { integerInRange, knownKeys, numberInRange, oneOf, plainObject } from '../validate.js';

/** `enforce`: decisions gate calls. `shadow`: decisions are computed, published and counted, never enforced. */
export type BreakerMode = 'enforce' | 'shadow';

/** Optional failure-rate trip rule. */
export interface FailureRateRule {
  /** Trip when failures / calls in the window reach this ratio. Range (0, 1]. */
  readonly threshold: number;
  /** ...and only once the window holds at least this many calls. Integer ≥ 1. */
  readonly minimumCalls: number;
}

/**
 * The rules of one breaker, shared by every pod. The first pod to register a
 * breaker stores its config; later pods whose config hashes differently are
 * told (config drift) and use the stored one, so the fleet never mixes rules.
 */
export interface BreakerConfig {
  /** Length of the sliding window, ms. Range 1 s – 1 h. @default 30_000 */
  readonly windowMs: number;
  /** Width of one window bucket, ms; `windowMs` must be a multiple, at most 600 buckets. @default 1_000 */
  readonly bucketMs: number;
  /** Trip when the failures in the window reach this count. Integer ≥ 1. @default 20 */
  readonly failureThreshold: number;
  /**
   * ...and only when those failures are also at least this share of the window's calls
   * (failures + successes), so the count rule scales with traffic: a handful of failures
   * in a wave of thousands of reconnects is noise, not an outage. Below
   * `failureThreshold / minFailureRatio` calls the share holds by itself and the count
   * alone decides. Range 0 – 1; 0 = the count alone, whatever the traffic. @default 0.5
   */
  readonly minFailureRatio: number;
  /** Optional failure-rate rule, or `null` for none. @default null */
  readonly failureRate: FailureRateRule | null;
  /** Trip only when at least this many distinct pods reported failures in the window. @default 1 */
  readonly quorum: number;
  /**
   * How long the breaker stays open after a trip before half-opening, ms: the first
   * probe's wait. Range 100 ms – 24 h. @default 1_000
   */
  readonly cooldownMs: number;
  /** Each consecutive failed probe multiplies the cooldown by this (1 = no escalation). Range 1 – 100. @default 2 */
  readonly cooldownMultiplier: number;
  /**
   * Cap on the cooldown, escalation and jitter included, ms; ≥ `cooldownMs`. Once
   * reached it is the interval between failed probes, so it bounds how long a
   * recovered pusher waits for the next probe. When omitted: 3_000, or `cooldownMs`
   * if that is longer (a config that only lengthens the cooldown keeps it constant).
   * @default 3_000
   */
  readonly maxCooldownMs: number;
  /**
   * Adds up to this fraction of the cooldown, chosen per opening (0 = none), never
   * past `maxCooldownMs`. Range 0 – 1. @default 0
   */
  readonly cooldownJitter: number;
  /** How long a granted probe lease is valid, ms. Range 100 ms – 1 h. @default 10_000 */
  readonly probeLeaseMs: number;
  /** Successful probes needed, one lease at a time, to close from half-open. Range 1 – 100. @default 1 */
  readonly successThreshold: number;
  /** @default 'enforce' */
  readonly mode: BreakerMode;
}

export type BreakerConfigInput = Partial<Omit<BreakerConfig, 'failureRate'>> & {
  failureRate?: FailureRateRule | null;
};

/**
 * The defaults: 20 failures in 30 s, as the incident analysis chose, that are also at
 * least half of the window's calls (issue 13: a recovery or a cold start of 1,500
 * sessions must not trip on a few dozen slow connects); one probe fleet-wide 1 s after
 * a trip, then 2 s and every 3 s after that (issue 13: ~110 probe dials in a 330 s
 * outage, a recovered pusher's next probe dialled within 3 s and proven within 5 s, its
 * 1 s confirmation and the half-open's propagation included).
 */
export const DEFAULT_BREAKER_CONFIG: BreakerConfig = Object.freeze({
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

const KEYS = Object.keys(DEFAULT_BREAKER_CONFIG) as (keyof BreakerConfig)[];
const DAY_MS = 86_400_000;
export const MAX_BUCKETS = 600;

/** Fills defaults and validates every field; throws InvalidArgumentError naming the first bad one. */
export function resolveBreakerConfig(input: BreakerConfigInput = {}, argument = 'config'): BreakerConfig {
  const raw = plainObject(argument, input);
  knownKeys(argument, raw, KEYS);
  const c = { ...DEFAULT_BREAKER_CONFIG, ...stripUndefined(raw) } as Record<keyof BreakerConfig, unknown>;
  const at = (k: string) => `${argument}.${k}`;

  const windowMs = integerInRange(at('windowMs'), c.windowMs, 1_000, 3_600_000);
  const bucketMs = integerInRange(at('bucketMs'), c.bucketMs, 100, windowMs);
  if (windowMs % bucketMs !== 0 || windowMs / bucketMs > MAX_BUCKETS) {
    throw new InvalidArgumentError(
      at('bucketMs'),
      `windowMs (${windowMs}) must be a multiple of bucketMs (${bucketMs}) with at most ${MAX_BUCKETS} buckets`,
    );
  }
  const cooldownMs = integerInRange(at('cooldownMs'), c.cooldownMs, 100, DAY_MS);
  // An omitted cap follows a longer cooldown instead of refusing it: `{ cooldownMs: 60_000 }` stays valid (constant 60 s).
  const maxCooldownMs =
    raw.maxCooldownMs === undefined ? Math.max(DEFAULT_BREAKER_CONFIG.maxCooldownMs, cooldownMs) : c.maxCooldownMs;
  const config: BreakerConfig = {
    windowMs,
    bucketMs,
    failureThreshold: integerInRange(at('failureThreshold'), c.failureThreshold, 1, 1_000_000_000),
    minFailureRatio: numberInRange(at('minFailureRatio'), c.minFailureRatio, 0, 1),
    failureRate: resolveFailureRate(at('failureRate'), c.failureRate),
    quorum: integerInRange(at('quorum'), c.quorum, 1, 1_000),
    cooldownMs,
    cooldownMultiplier: numberInRange(at('cooldownMultiplier'), c.cooldownMultiplier, 1, 100),
    maxCooldownMs: integerInRange(at('maxCooldownMs'), maxCooldownMs, cooldownMs, DAY_MS),
    cooldownJitter: numberInRange(at('cooldownJitter'), c.cooldownJitter, 0, 1),
    probeLeaseMs: integerInRange(at('probeLeaseMs'), c.probeLeaseMs, 100, 3_600_000),
    successThreshold: integerInRange(at('successThreshold'), c.successThreshold, 1, 100),
    mode: oneOf(at('mode'), c.mode, ['enforce', 'shadow'] as const),
  };
  return Object.freeze(config);
}

function resolveFailureRate(argument: string, value: unknown): FailureRateRule | null {
  if (value === null) return null;
  const raw = plainObject(argument, value);
  knownKeys(argument, raw, ['threshold', 'minimumCalls']);
  return Object.freeze({
    threshold: numberInRange(`${argument}.threshold`, raw.threshold, 0, 1, { minExclusive: true }),
    minimumCalls: integerInRange(`${argument}.minimumCalls`, raw.minimumCalls, 1, 1_000_000_000),
  });
}

function stripUndefined(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}

/** Canonical JSON (fixed key order) of a resolved config: what is stored and hashed. */
export function canonicalConfigJson(config: BreakerConfig): string {
  return JSON.stringify(KEYS.map((k) => [k, config[k]]));
}

/** 16 hex chars identifying a config; equal configs hash equal on every pod. */
export function configHash(config: BreakerConfig): string {
  return createHash('sha256').update(canonicalConfigJson(config)).digest('hex').slice(0, 16);
}

/**
 * Rules a config stored by an earlier version lacks, with the value that version
 * applied (not today's default): such a breaker keeps its old behaviour, exactly as
 * the scripts read it (lua/includes/load.lua), until someone calls updateConfig().
 */
const LEGACY_CONFIG: Partial<BreakerConfig> = Object.freeze({ minFailureRatio: 0 });

/** Inverse of {@link canonicalConfigJson}; validates again (the stored copy may be from another version). */
export function parseCanonicalConfig(json: string): BreakerConfig {
  const entries = JSON.parse(json) as [string, unknown][];
  return resolveBreakerConfig(
    { ...LEGACY_CONFIG, ...Object.fromEntries(entries) } as BreakerConfigInput,
    'storedConfig',
  );
}
