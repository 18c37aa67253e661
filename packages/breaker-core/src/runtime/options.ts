import { hostname } from 'node:os';
import type { RedisOptions } from 'ioredis';
import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../clock.js';
import { type BreakerConfig, type BreakerConfigInput, resolveBreakerConfig } from '../config/breaker-config.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { checkKeyPrefix } from '../keys.js';
import type { BreakerStore } from '../store/breaker-store.js';
import type { RedisClient } from '../store/redis-store.js';
import { checkName, POD_ID_PATTERN } from '../store/store-input.js';
import { integerInRange, knownKeys, plainObject } from '../validate.js';
import { type BreakwaterLogger, silentLogger } from './breakwater-logger.js';

export interface ClusterBreakerOptions {
  /** Breaker name, shared by every pod: 1–64 of `[A-Za-z0-9_.-]`. */
  name: string;
  /**
   * Where the shared state lives: an ioredis `Redis` or `Cluster` (the breaker
   * opens its own fail-fast copies of that connection and closes them on close()),
   * a `redis://` URL, or ioredis `RedisOptions`. Give exactly one of `redis` and `store`.
   */
  redis?: RedisClient | string | RedisOptions;
  /** Any BreakerStore instead of Redis, e.g. a MemoryBreakerStore for single-process use. */
  store?: BreakerStore;
  /** This pod's identity in quorum counts, probe leases and the audit. @default `${hostname}-${pid}` */
  podId?: string;
  /** The breaker's rules (see BreakerConfig). The first pod stores them; later pods are checked against them. */
  config?: BreakerConfigInput;
  /** Redis key prefix (only with `redis`). @default 'bw' */
  prefix?: string;
  /** How often counted outcomes are sent to the store as one call, ms. Range 10 – 10,000. @default 100 */
  flushIntervalMs?: number;
  /** How often the pod re-reads the shared state, bounding staleness if a message is lost, ms. Range 50 – 60,000. @default 1_000 */
  resyncIntervalMs?: number;
  /**
   * Longest one call to the shared store may take, ms, whatever the store (Redis or
   * yours): a slower call counts as failed, the pod falls back to its local breaker,
   * and a late reply is dropped. Range 10 – 10,000. @default 250
   */
  commandTimeoutMs?: number;
  /** How long createClusterBreaker() waits for Redis before starting on the local fallback, ms. Range 0 – 60,000. @default 1_000 */
  startTimeoutMs?: number;
  /**
   * Cap on the reconnect backoff of the breaker's Redis connections, ms (the backoff is 100,
   * 200, 400, 800 ms … up to this): after an outage a pod reconnects at most this long after
   * Redis answers again, so it bounds how late a pod rejoins the fleet's decision. One
   * connect attempt per connection per cap while Redis is down. Range 50 – 60,000. @default 1_000
   */
  reconnectMaxDelayMs?: number;
  /** A pino logger (or anything with the same methods). @default silent */
  logger?: BreakwaterLogger;
  /** A prom-client Registry for the breaker's metrics (see metrics.ts). @default none: metrics are not exported */
  registry?: Registry;
  /** The pod's clock, for staleness, scheduling and the local fallback. @default Date.now */
  clock?: Clock;
}

export interface ResolvedClusterBreakerOptions {
  readonly name: string;
  readonly podId: string;
  readonly config: BreakerConfig;
  readonly prefix: string;
  readonly flushIntervalMs: number;
  readonly resyncIntervalMs: number;
  readonly commandTimeoutMs: number;
  readonly startTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly logger: BreakwaterLogger;
  readonly registry: Registry | undefined;
  readonly clock: Clock;
}

export const DEFAULT_CLUSTER_BREAKER_OPTIONS = Object.freeze({
  prefix: 'bw',
  flushIntervalMs: 100,
  resyncIntervalMs: 1_000,
  commandTimeoutMs: 250,
  startTimeoutMs: 1_000,
  reconnectMaxDelayMs: 1_000,
});

const KEYS = [
  'name',
  'redis',
  'store',
  'podId',
  'config',
  'prefix',
  'flushIntervalMs',
  'resyncIntervalMs',
  'commandTimeoutMs',
  'startTimeoutMs',
  'reconnectMaxDelayMs',
  'logger',
  'registry',
  'clock',
];

export function defaultPodId(): string {
  const id = `${hostname()}-${process.pid}`.replace(/[^\x21-\x7e]/g, '_').slice(0, 128);
  return id || `pod-${process.pid}`;
}

export function resolveClusterBreakerOptions(options: ClusterBreakerOptions): ResolvedClusterBreakerOptions {
  const o = plainObject('options', options);
  knownKeys('options', o, KEYS);
  if ((options.redis === undefined) === (options.store === undefined)) {
    throw new InvalidArgumentError('options.redis', 'give exactly one of options.redis and options.store');
  }
  const podId = options.podId ?? defaultPodId();
  if (typeof podId !== 'string' || !POD_ID_PATTERN.test(podId)) {
    throw new InvalidArgumentError(
      'options.podId',
      `expected 1–128 printable ASCII characters without spaces, got ${JSON.stringify(podId)}`,
    );
  }
  for (const key of ['logger', 'registry'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'object' || v === null)) {
      throw new InvalidArgumentError(`options.${key}`, `expected an object, got ${typeof v}`);
    }
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new InvalidArgumentError('options.clock', 'expected a function returning ms since epoch');
  }
  const d = DEFAULT_CLUSTER_BREAKER_OPTIONS;
  return {
    name: checkName(options.name),
    podId,
    config: resolveBreakerConfig(options.config ?? {}, 'options.config'),
    prefix: checkKeyPrefix(options.prefix ?? d.prefix),
    flushIntervalMs: integerInRange(
      'options.flushIntervalMs',
      options.flushIntervalMs ?? d.flushIntervalMs,
      10,
      10_000,
    ),
    resyncIntervalMs: integerInRange(
      'options.resyncIntervalMs',
      options.resyncIntervalMs ?? d.resyncIntervalMs,
      50,
      60_000,
    ),
    commandTimeoutMs: integerInRange(
      'options.commandTimeoutMs',
      options.commandTimeoutMs ?? d.commandTimeoutMs,
      10,
      10_000,
    ),
    startTimeoutMs: integerInRange('options.startTimeoutMs', options.startTimeoutMs ?? d.startTimeoutMs, 0, 60_000),
    reconnectMaxDelayMs: integerInRange(
      'options.reconnectMaxDelayMs',
      options.reconnectMaxDelayMs ?? d.reconnectMaxDelayMs,
      50,
      60_000,
    ),
    logger: options.logger ?? silentLogger,
    registry: options.registry,
    clock: options.clock ?? systemClock,
  };
}
