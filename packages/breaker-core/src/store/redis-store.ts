import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import {
  type BreakerConfig,
  type BreakerConfigInput,
  parseCanonicalConfig,
  resolveBreakerConfig,
} from '../config/breaker-config.js';
import { BreakerNotFoundError } from '../errors/breaker-not-found-error.js';
import { fromRedisError } from '../errors/from-redis-error.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { NotRegisteredError } from '../errors/not-registered-error.js';
import { breakerKeys, checkKeyPrefix, nameFromChannel, registryKey } from '../keys.js';
import type {
  AuditEntry,
  BreakerSnapshot,
  BreakerState,
  BreakerTransition,
  OverrideMode,
} from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import { integerInRange, knownKeys, plainObject } from '../validate.js';
import { BreakerScripts, type ScriptCall } from './breaker-scripts.js';
import type {
  AcquireProbeReply,
  ActorRequest,
  BreakerStore,
  ClearOverrideRequest,
  Disposable,
  OverrideRequest,
  RecordReply,
  RegisterReply,
  ReportProbeReply,
} from './breaker-store.js';
import { configArgs } from './config-fields.js';
import { parseTransition } from './script-reply.js';
import {
  checkActorRequest,
  checkAuditOptions,
  checkName,
  checkOutcomes,
  checkOverrideRequest,
  checkPodId,
  checkProbeReport,
} from './store-input.js';

export type RedisClient = Redis | Cluster;

export interface RedisBreakerStoreOptions {
  /** ioredis `Redis` or `Cluster` for commands. The caller owns it: close() leaves it open. */
  client: RedisClient;
  /**
   * Connection for subscribe(). Pub/sub needs its own connection.
   * @default `client.duplicate()`, opened on the first subscribe() and closed by close()
   */
  subscriber?: RedisClient;
  /** Key prefix; keys look like `<prefix>:{<name>}:state`. @default 'bw' */
  prefix?: string;
  /** TTL of every key, refreshed while the breaker is in use, ms. Range 1 h – 90 d. @default 604_800_000 (7 d) */
  keyTtlMs?: number;
  /** Audit stream length per breaker (exact MAXLEN). Range 1 – 100_000. @default 1_000 */
  auditMaxLength?: number;
  /**
   * Pass time to the scripts instead of using Redis `TIME`. Only for tests that
   * drive time by hand; in production Redis time is the fleet's one clock.
   * @default undefined (Redis TIME)
   */
  clock?: Clock;
}

export const DEFAULT_REDIS_STORE_OPTIONS = Object.freeze({
  prefix: 'bw',
  keyTtlMs: 7 * 86_400_000,
  auditMaxLength: 1_000,
});

/**
 * Breaker state in Redis, shared by every pod. Each operation is one Lua
 * script that decides atomically on Redis time, appends to the audit stream
 * and publishes the transition, all in the breaker's hash slot.
 */
export class RedisBreakerStore implements BreakerStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #keyTtlMs: number;
  readonly #auditMaxLength: number;
  readonly #clock: Clock | undefined;
  readonly #scripts: BreakerScripts;
  readonly #registered = new Map<string, { config: BreakerConfig; args: string[] }>();
  /** When this store last listed each breaker in the registry (its clock, else Date.now). */
  readonly #indexedAt = new Map<string, number>();
  readonly #listeners = new Map<string, Set<(t: BreakerTransition) => void>>();
  readonly #wired = new WeakSet<object>();
  #subscriber: RedisClient | undefined;
  readonly #ownsSubscriber: boolean;
  #closed = false;

  constructor(options: RedisBreakerStoreOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['client', 'subscriber', 'prefix', 'keyTtlMs', 'auditMaxLength', 'clock']);
    if (!isClient(options.client)) {
      throw new InvalidArgumentError('options.client', 'expected an ioredis Redis or Cluster instance');
    }
    if (options.subscriber !== undefined && !isClient(options.subscriber)) {
      throw new InvalidArgumentError('options.subscriber', 'expected an ioredis Redis or Cluster instance');
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError('options.clock', 'expected a function returning ms since epoch');
    }
    this.#client = options.client;
    this.#subscriber = options.subscriber;
    this.#ownsSubscriber = options.subscriber === undefined;
    this.#prefix = checkKeyPrefix(options.prefix ?? DEFAULT_REDIS_STORE_OPTIONS.prefix);
    this.#keyTtlMs = integerInRange(
      'options.keyTtlMs',
      options.keyTtlMs ?? DEFAULT_REDIS_STORE_OPTIONS.keyTtlMs,
      3_600_000,
      90 * 86_400_000,
    );
    this.#auditMaxLength = integerInRange(
      'options.auditMaxLength',
      options.auditMaxLength ?? DEFAULT_REDIS_STORE_OPTIONS.auditMaxLength,
      1,
      100_000,
    );
    this.#clock = options.clock;
    this.#scripts = new BreakerScripts(this.#client);
  }

  /** The key prefix in use (the admin API shows it; tests clean up by it). */
  get prefix(): string {
    return this.#prefix;
  }

  async register(name: string, config: BreakerConfigInput = {}): Promise<RegisterReply> {
    checkName(name);
    const resolved = resolveBreakerConfig(config);
    const args = configArgs(resolved);
    const reply = await this.#scripts.register(this.#call(name), args);
    this.#registered.set(name, { config: resolved, args });
    await this.#index(name);
    return { snapshot: reply.snapshot, configDrift: reply.drift };
  }

  async record(name: string, podId: string, outcomes: { failures: number; successes: number }): Promise<RecordReply> {
    checkName(name);
    checkPodId(podId);
    const { failures, successes } = checkOutcomes(outcomes);
    const registered = this.#registered.get(name);
    if (!registered) throw new NotRegisteredError(name);
    const reply = await this.#scripts.recordOutcomes(this.#call(name), podId, failures, successes, registered.args);
    // Keys that had vanished (Redis restarted or they expired) are listed again at once.
    await (reply.created ? this.#index(name) : this.#keepIndexed(name)).catch(() => {});
    return {
      snapshot: reply.snapshot,
      configDrift: reply.drift,
      created: reply.created,
      transitions: reply.transitions,
    };
  }

  async snapshot(name: string): Promise<BreakerSnapshot> {
    checkName(name);
    const reply = await this.#scripts.readSnapshot(this.#call(name));
    await this.#keepIndexed(name).catch(() => {});
    return reply.snapshot;
  }

  async acquireProbe(name: string, podId: string): Promise<AcquireProbeReply> {
    checkName(name);
    checkPodId(podId);
    const reply = await this.#scripts.acquireProbe(this.#call(name), podId);
    if (reply.granted) return { granted: true, lease: { breaker: name, ...reply.lease }, snapshot: reply.snapshot };
    if (reply.reason === 'held') {
      const { holder, expiresAt, snapshot } = reply;
      return { granted: false, reason: 'held', holder, expiresAt, snapshot };
    }
    return { granted: false, reason: 'not_half_open', snapshot: reply.snapshot };
  }

  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<ReportProbeReply> {
    const name = checkProbeReport(lease, outcome);
    const reply = await this.#scripts.reportProbe(this.#call(name), lease.token, outcome);
    if (reply.accepted) return { accepted: true, snapshot: reply.snapshot };
    return { accepted: false, reason: reply.reason, snapshot: reply.snapshot };
  }

  forceOpen(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#override(name, 'forced_open', request);
  }

  forceClose(name: string, request: OverrideRequest): Promise<BreakerSnapshot> {
    return this.#override(name, 'forced_closed', request);
  }

  async clearOverride(name: string, request: ClearOverrideRequest): Promise<BreakerSnapshot> {
    checkName(name);
    const { actor, reason } = checkActorRequest(request, false);
    return (await this.#scripts.clearOverride(this.#call(name), actor, reason)).snapshot;
  }

  async reset(name: string, request: ActorRequest): Promise<BreakerSnapshot> {
    checkName(name);
    const { actor, reason } = checkActorRequest(request, true);
    return (await this.#scripts.reset(this.#call(name), actor, reason)).snapshot;
  }

  async updateConfig(name: string, config: BreakerConfigInput, request: ActorRequest): Promise<BreakerSnapshot> {
    checkName(name);
    const resolved = resolveBreakerConfig(config);
    const { actor, reason } = checkActorRequest(request, true);
    return (await this.#scripts.updateConfig(this.#call(name), actor, reason, configArgs(resolved))).snapshot;
  }

  async audit(name: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    checkName(name);
    const limit = checkAuditOptions(options);
    const keys = breakerKeys(this.#prefix, name);
    let rows: [string, string[]][];
    try {
      if ((await this.#client.exists(keys.config)) === 0) throw new BreakerNotFoundError(name);
      rows = (await this.#client.xrevrange(keys.audit, '+', '-', 'COUNT', limit)) as [string, string[]][];
    } catch (err) {
      throw fromRedisError(err, name, 'audit');
    }
    return rows.map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
      const config = configChange(f.fromConfig, f.toConfig);
      return {
        id,
        at: Number(f.at),
        actor: f.actor ?? '',
        action: f.action as AuditEntry['action'],
        from: f.from as BreakerState,
        to: f.to as BreakerState,
        generation: Number(f.generation),
        reason: f.reason ?? '',
        ...(config ? { config } : {}),
      };
    });
  }

  async list(): Promise<string[]> {
    const key = registryKey(this.#prefix);
    try {
      const names = await this.#client.zrange(key, 0, -1);
      const exists = await Promise.all(names.map((n) => this.#client.exists(breakerKeys(this.#prefix, n).config)));
      const gone = names.filter((_, i) => exists[i] === 0);
      if (gone.length > 0) await this.#client.zrem(key, ...gone);
      return names.filter((_, i) => exists[i] === 1).sort();
    } catch (err) {
      throw fromRedisError(err, '*', 'list');
    }
  }

  async subscribe(name: string, listener: (t: BreakerTransition) => void): Promise<Disposable> {
    checkName(name);
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'expected a function');
    const channel = breakerKeys(this.#prefix, name).channel;
    const subscriber = this.#subscriberConnection();
    let set = this.#listeners.get(channel);
    const entry = (t: BreakerTransition) => listener(t);
    if (!set) {
      set = new Set();
      this.#listeners.set(channel, set);
      set.add(entry);
      try {
        await subscriber.subscribe(channel);
      } catch (err) {
        set.delete(entry);
        if (set.size === 0) this.#listeners.delete(channel);
        throw fromRedisError(err, name, 'subscribe');
      }
    } else {
      set.add(entry);
    }
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const current = this.#listeners.get(channel);
        current?.delete(entry);
        if (current && current.size === 0) {
          this.#listeners.delete(channel);
          subscriber.unsubscribe(channel).catch(() => {});
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    if (this.#subscriber && this.#ownsSubscriber) this.#subscriber.disconnect();
  }

  // ── internals ──────────────────────────────────────────────────────────────

  async #override(name: string, mode: OverrideMode, request: OverrideRequest): Promise<BreakerSnapshot> {
    checkName(name);
    const { reason, actor, ttlMs } = checkOverrideRequest(request);
    return (await this.#scripts.setOverride(this.#call(name), mode, actor, reason, ttlMs)).snapshot;
  }

  /** The shared part of every script call; refuses once the store is closed. */
  #call(name: string): ScriptCall {
    if (this.#closed) throw new InvalidArgumentError('store', 'this RedisBreakerStore was closed');
    return {
      name,
      keys: breakerKeys(this.#prefix, name),
      now: this.#clock?.(),
      keyTtlMs: this.#keyTtlMs,
      auditMaxLength: this.#auditMaxLength,
    };
  }

  /** Scores registry entries and paces #keepIndexed: the injected clock, else this pod's clock (nothing decides on it). */
  #registryNow(): number {
    return this.#clock ? Math.floor(this.#clock()) : Date.now();
  }

  /** Lists `name` in the registry and gives the registry a full TTL. */
  async #index(name: string): Promise<void> {
    const key = registryKey(this.#prefix);
    const now = this.#registryNow();
    try {
      await this.#client.zadd(key, now, name);
      await this.#client.pexpire(key, this.#keyTtlMs);
    } catch (err) {
      throw fromRedisError(err, name, 'register');
    }
    this.#indexedAt.set(name, now);
  }

  /**
   * The registry has no hash tag, so no script may touch it (on a Cluster it
   * lives in another slot). Without this, only register() refreshed its TTL, and
   * keyTtlMs after the last pod start list() said [] while breakers were live.
   * record() and snapshot() list the breaker again, at most once per keyTtlMs / 2
   * per breaker and store: while any store uses a breaker the registry outlives
   * its TTL, for one ZADD + PEXPIRE per half TTL.
   */
  async #keepIndexed(name: string): Promise<void> {
    const last = this.#indexedAt.get(name);
    const now = this.#registryNow();
    if (last !== undefined && now - last < this.#keyTtlMs / 2) return;
    await this.#index(name);
  }

  #subscriberConnection(): RedisClient {
    if (!this.#subscriber) {
      // A subscription waits for the connection (as the pods' own subscriber does), even when the
      // command client fails fast: with its offline queue off, the first SUBSCRIBE would fail while
      // the new connection is still being made.
      const client = this.#client;
      const sub = client.isCluster
        ? (client as Cluster).duplicate([], { enableOfflineQueue: true })
        : (client as Redis).duplicate({ enableOfflineQueue: true });
      sub.on('error', () => {}); // reconnects on its own; callers learn through their resync
      this.#subscriber = sub;
    }
    const sub = this.#subscriber;
    if (!this.#wired.has(sub)) {
      this.#wired.add(sub);
      sub.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    }
    return sub;
  }

  #deliver(channel: string, message: string): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners || nameFromChannel(this.#prefix, channel) === undefined) return;
    let transition: BreakerTransition;
    try {
      transition = parseTransition(JSON.parse(message) as Record<string, unknown>);
    } catch {
      return; // not ours or from an incompatible version: the periodic resync covers it
    }
    for (const listener of [...listeners]) listener(transition);
  }
}

/** A config_update entry's rules before and after; undefined when absent or unreadable (another version wrote them). */
function configChange(from: string | undefined, to: string | undefined): AuditEntry['config'] {
  if (from === undefined || to === undefined) return undefined;
  try {
    return { from: parseCanonicalConfig(from), to: parseCanonicalConfig(to) };
  } catch {
    return undefined;
  }
}

function isClient(value: unknown): value is RedisClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
  );
}
