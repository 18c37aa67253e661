import { type BreakerConfig, configHash } from '../config/breaker-config.js';
import type { AutomaticState, BreakerOverride, BreakerSnapshot, BreakerState } from './breaker-state.js';
import { type Bucket, createWindow, sumWindow } from './sliding-window.js';

/** Cap on the distinct-failing-pods set, so a misbehaving fleet cannot grow it without bound. */
export const MAX_TRACKED_PODS = 10_000;

interface StoredLease {
  token: string;
  holder: string;
  expiresAt: number;
  generation: number;
}

/**
 * Everything the store keeps for one breaker. The memory store holds these
 * objects; the Redis store holds the same fields in the breaker's hashes.
 */
export interface BreakerRecord {
  readonly name: string;
  /**
   * Which life of the breaker this record is (the Redis store uses Redis TIME at
   * creation). A re-created or restored breaker restarts its generation and lease
   * sequence, so lease tokens carry this to stay unique.
   */
  readonly incarnation: string;
  config: BreakerConfig;
  configHash: string;
  auto: AutomaticState;
  generation: number;
  openedAt: number | null;
  cooldownUntil: number | null;
  probeFailures: number;
  halfOpenSuccesses: number;
  lease: StoredLease | null;
  /** Counts leases granted in this incarnation, so every token is unique. */
  leaseSeq: number;
  override: BreakerOverride | null;
  window: Bucket[];
  /** podId → time of its latest failure report. */
  failingPods: Map<string, number>;
}

export function createRecord(name: string, config: BreakerConfig, incarnation: string): BreakerRecord {
  return {
    name,
    incarnation,
    config,
    configHash: configHash(config),
    auto: 'closed',
    generation: 0,
    openedAt: null,
    cooldownUntil: null,
    probeFailures: 0,
    halfOpenSuccesses: 0,
    lease: null,
    leaseSeq: 0,
    override: null,
    window: createWindow(config.windowMs / config.bucketMs),
    failingPods: new Map(),
  };
}

export function effectiveState(record: BreakerRecord): BreakerState {
  return record.override?.mode ?? record.auto;
}

/** The lease if it is still valid at `now` in the current generation. */
export function liveLease(record: BreakerRecord, now: number): StoredLease | null {
  const lease = record.lease;
  return lease && lease.generation === record.generation && lease.expiresAt > now ? lease : null;
}

export function countFailingPods(record: BreakerRecord, now: number): number {
  let count = 0;
  for (const at of record.failingPods.values()) if (at > now - record.config.windowMs) count++;
  return count;
}

export function toSnapshot(record: BreakerRecord, now: number): BreakerSnapshot {
  const { failures, successes } = sumWindow(record.window, record.config.bucketMs, now);
  const lease = liveLease(record, now);
  return {
    name: record.name,
    state: effectiveState(record),
    automaticState: record.auto,
    generation: record.generation,
    incarnation: record.incarnation,
    mode: record.config.mode,
    window: { failures, successes, failingPods: countFailingPods(record, now) },
    openedAt: record.openedAt,
    cooldownUntil: record.cooldownUntil,
    probeFailures: record.probeFailures,
    halfOpenSuccesses: record.halfOpenSuccesses,
    probe: lease ? { holder: lease.holder, expiresAt: lease.expiresAt } : null,
    override: record.override ? { ...record.override } : null,
    configHash: record.configHash,
    config: record.config,
    at: now,
  };
}
