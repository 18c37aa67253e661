import type { Clock } from '../clock.js';
import { type BreakerConfig, configHash } from '../config/breaker-config.js';
import type { BreakerMetrics } from '../metrics.js';
import type { BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import type {
  AcquireProbeReply,
  BreakerStore,
  Disposable,
  RecordReply,
  RegisterReply,
  ReportProbeReply,
} from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { RedisClient } from '../store/redis-store.js';
import type { StoreRecoveredEvent, ViewSource } from './breaker-events.js';
import type { BreakerSignals } from './breaker-signals.js';
import type { PodKnowledge } from './breaker-view.js';
import type { BreakwaterLogger } from './breakwater-logger.js';
import { fallbackStart } from './fallback-start.js';
import type { RepeatLog } from './repeat-log.js';
import type { StoreDeadline } from './store-deadline.js';
import { storeErrorKind, storeErrorLabel } from './store-error-kind.js';

/** Local leases remembered (by token) for their report: the pod holds one at a time. */
const MAX_LOCAL_LEASES = 8;

/** A store's reply (every one carries the breaker's `snapshot`), tagged with the store that gave it. */
export interface Tagged<T extends { readonly snapshot: BreakerSnapshot }> {
  readonly reply: T;
  readonly source: ViewSource;
}

/** What one call through the FailoverStore came back with. */
export interface StoreResult<T extends { readonly snapshot: BreakerSnapshot }> {
  /** The reply and the store that gave it; absent when no store answered (the failure is counted and logged). */
  readonly answer?: Tagged<T>;
  /**
   * Set when the shared store failed this call: the pod is now on its local
   * breaker, and this is that breaker's state right after the restore. Apply it
   * before `answer` (the local breaker's reply to the same call, if it got one).
   */
  readonly fellBack?: BreakerSnapshot;
}

/** What a re-read of the state came back with: a snapshot, or the reply of a registration that re-created the breaker. */
export interface Refreshed extends StoreResult<{ readonly snapshot: BreakerSnapshot }> {
  /** The store had lost the breaker and `answer` is from the registration that created it again. */
  readonly recreated?: true;
}

/** The pod is back on the shared store. */
export interface Rejoined {
  /** The shared store's reply to the replay: the state to adopt. */
  readonly answer: Tagged<RecordReply>;
  /** How long the pod was apart and what it replayed. */
  readonly recovered: StoreRecoveredEvent;
}

export interface FailoverStoreParts {
  readonly name: string;
  readonly podId: string;
  /** This pod's config: what it registers. */
  readonly config: BreakerConfig;
  readonly clock: Clock;
  readonly shared: BreakerStore;
  readonly local: MemoryBreakerStore;
  /** The deadline on every shared call (the start-up registration already ran under it). */
  readonly deadline: StoreDeadline;
  /** The breaker's own command connection, if it has one: dropped on a timeout, its status gates the rejoin. */
  readonly client?: RedisClient;
  /** Whether close() closes `shared` (not when the caller passed its own store). */
  readonly ownsShared: boolean;
  /** Which store the pod starts on: `shared` when the start-up registration succeeded. */
  readonly source: ViewSource;
  /** Whether that registration found a different stored config. */
  readonly configDrift: boolean;
  /** What the pod knows (its BreakerView): the local breaker is restored from it on a fallback. */
  readonly knows: PodKnowledge;
  readonly log: BreakwaterLogger;
  readonly repeatLog: RepeatLog;
  readonly metrics: BreakerMetrics | undefined;
  readonly signals: BreakerSignals;
}

/**
 * The pod's one path to storage, for one breaker. Every call goes to the store
 * the pod follows: the shared store under one deadline (StoreDeadline, the
 * rate-limiter-flexible way), or the local MemoryBreakerStore while the shared
 * one is unreachable. A shared call that fails or is too slow moves the pod to
 * the local breaker, restored from what it knew ({@link PodKnowledge}), and the
 * call is made there instead (a probe report excepted); {@link rejoin} moves it
 * back (registering first if needed, replaying what was counted apart). Every
 * reply comes back tagged with the store that gave it, for the ClusterBreaker
 * to apply: nothing here touches the view. Failed calls are counted and acted
 * on by kind (store-error-kind.ts). Methods reject only when the local store
 * does. Not a BreakerStore: it serves one breaker and tags its replies.
 */
export class FailoverStore {
  #source: ViewSource;
  #degradedSince: number | null;
  /** `shared` knows our config (RedisBreakerStore.record() refuses a breaker it was not given). */
  #registered: boolean;
  #drift = false;
  #rejoining: Promise<void> | undefined;
  /**
   * Tokens of leases the local breaker granted, newest last: reported to it, not to the
   * shared store. By token, not by object: a caller may hand back a copy (through IPC, a
   * JSON round trip). Tokens never repeat; the pod holds one lease at a time, so a few
   * are kept (see MAX_LOCAL_LEASES).
   */
  readonly #localLeases = new Set<string>();
  readonly #parts: FailoverStoreParts;
  readonly #localConfigHash: string;

  constructor(parts: FailoverStoreParts) {
    this.#parts = parts;
    this.#source = parts.source;
    this.#registered = parts.source === 'shared';
    this.#degradedSince = parts.source === 'local' ? parts.clock() : null;
    this.#localConfigHash = configHash(parts.config);
    parts.metrics?.storeUp.set({ breaker: parts.name }, parts.source === 'shared' ? 1 : 0);
    this.#noteDrift(parts.configDrift, parts.knows.known.configHash);
  }

  /** The store the pod follows. */
  get source(): ViewSource {
    return this.#source;
  }

  get configDrift(): boolean {
    return this.#drift;
  }

  /**
   * Settles when a rejoin in flight has ended, either way; undefined when none is. A flush
   * waits for it before choosing a store: outcomes recorded locally after the rejoin read the
   * local window would otherwise be sent nowhere once the pod switches to shared.
   */
  get rejoining(): Promise<void> | undefined {
    return this.#rejoining;
  }

  /**
   * Records one batch of outcomes (and counts them, and times the call by store).
   * If the shared call fails, the same outcomes feed the local breaker: none is lost.
   */
  async record(outcomes: { failures: number; successes: number }): Promise<StoreResult<RecordReply>> {
    const { name, podId, local, metrics } = this.#parts;
    if (metrics) {
      if (outcomes.failures > 0) metrics.calls.inc({ breaker: name, outcome: 'failure' }, outcomes.failures);
      if (outcomes.successes > 0) metrics.calls.inc({ breaker: name, outcome: 'success' }, outcomes.successes);
    }
    // Mid-rejoin the local window has been read: these go wherever the rejoin leaves the pod.
    if (this.#rejoining) await this.#rejoining;
    let fellBack: BreakerSnapshot | undefined;
    if (this.#source === 'shared') {
      const started = process.hrtime.bigint();
      try {
        const answer = await this.#callTagged('record', (s) => s.record(name, podId, outcomes));
        this.#observeFlush('shared', started);
        this.#noteDrift(answer.reply.configDrift, answer.reply.snapshot.configHash);
        return { answer };
      } catch (err) {
        this.#observeFlush('shared', started);
        fellBack = await this.#degrade(err);
        if (!fellBack) return {};
      }
    }
    const started = process.hrtime.bigint();
    const reply = await local.record(name, podId, outcomes);
    this.#observeFlush('local', started);
    return { answer: { reply, source: 'local' }, fellBack };
  }

  /**
   * Re-reads the state from the store the pod follows. On the shared store a
   * failure falls back, and a store that lost the breaker gets it registered
   * again. On the local breaker, see {@link rejoin}.
   */
  async refresh(): Promise<Refreshed> {
    const { local, name } = this.#parts;
    if (this.#source === 'local')
      return { answer: { reply: { snapshot: await local.snapshot(name) }, source: 'local' } };
    try {
      const answer = await this.#callTagged('snapshot', async (s) => ({ snapshot: await s.snapshot(name) }));
      // Drift follows every read, not only record replies: after updateConfig() stores this pod's
      // rules, an idle pod (no outcomes to flush) clears its drift on the resync the config_update
      // message triggers, and one whose rules the update left behind reports it just as soon.
      const stored = answer.reply.snapshot.configHash;
      this.#noteDrift(stored !== this.#localConfigHash, stored);
      return { answer };
    } catch (err) {
      if (storeErrorKind(err) !== 'not_found') return { fellBack: await this.#degrade(err) };
    }
    // Redis lost the breaker (restart without persistence): create it again from our config.
    try {
      return { answer: { reply: await this.#register(), source: 'shared' }, recreated: true };
    } catch (err) {
      return { fellBack: await this.#degrade(err) };
    }
  }

  /**
   * Back to the shared state, if the pod is on its local breaker and the shared
   * store may answer (the breaker's own connection is ready, or it has none;
   * else that connection's 'ready' is the cue). Reads what was counted apart
   * (the local window, once this rejoin is marked in flight, so no flush reaches
   * the local store after the read), registers first if the pod never could (it
   * started while the store was down), sends it as one record call and on
   * success switches source. Undefined when the pod stays apart (a failure is
   * logged, aggregated) or a rejoin is already in flight (its caller adopts).
   */
  rejoin(): Promise<Rejoined | undefined> {
    const client = this.#parts.client;
    if (this.#source === 'shared' || this.#rejoining) return Promise.resolve(undefined);
    if (client !== undefined && client.status !== 'ready') return Promise.resolve(undefined);
    let ended: () => void = () => {};
    this.#rejoining = new Promise((resolve) => {
      ended = resolve;
    });
    return this.#replayApart().finally(() => {
      this.#rejoining = undefined;
      ended();
    });
  }

  /** Asks the store the pod follows for the probe lease (the local breaker grants local ones). */
  async acquireProbe(): Promise<StoreResult<AcquireProbeReply>> {
    const { name, podId, local } = this.#parts;
    let fellBack: BreakerSnapshot | undefined;
    if (this.#source === 'shared') {
      try {
        return { answer: await this.#callTagged('acquireProbe', (s) => s.acquireProbe(name, podId)) };
      } catch (err) {
        fellBack = await this.#degrade(err);
        if (!fellBack) return {};
      }
    }
    const reply = await local.acquireProbe(name, podId);
    if (reply.granted) {
      this.#localLeases.add(reply.lease.token);
      // Unreported leases of long ago: the oldest goes (its report would be refused as expired anyway).
      if (this.#localLeases.size > MAX_LOCAL_LEASES)
        this.#localLeases.delete(this.#localLeases.values().next().value as string);
    }
    return { answer: { reply, source: 'local' }, fellBack };
  }

  /**
   * Reports a probe to the store that granted the lease. A shared report that
   * fails is not retried anywhere (the shared lease lapses); the pod falls back.
   */
  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<StoreResult<ReportProbeReply>> {
    if (this.#localLeases.has(lease.token)) {
      return { answer: { reply: await this.#parts.local.reportProbe(lease, outcome), source: 'local' } };
    }
    try {
      return { answer: await this.#callTagged('reportProbe', (s) => s.reportProbe(lease, outcome)) };
    } catch (err) {
      return { fellBack: await this.#degrade(err) };
    }
  }

  /** The shared store's transitions (no deadline: the subscriber connection waits for Redis however long). */
  subscribe(listener: (t: BreakerTransition) => void): Promise<Disposable> {
    return this.#parts.shared.subscribe(this.#parts.name, listener);
  }

  async close(): Promise<void> {
    const { ownsShared, shared, local } = this.#parts;
    if (ownsShared) await shared.close().catch(() => {});
    await local.close();
  }

  // ── internals ───────────────────────────────────────────────────────────

  /** One call to the shared store under the pod's deadline: slower is failed (and a late reply dropped). */
  #call<T>(operation: string, call: (store: BreakerStore) => Promise<T>): Promise<T> {
    return this.#parts.deadline.run(operation, () => call(this.#parts.shared));
  }

  async #callTagged<T extends { readonly snapshot: BreakerSnapshot }>(
    operation: string,
    call: (store: BreakerStore) => Promise<T>,
  ): Promise<Tagged<T>> {
    return { reply: await this.#call(operation, call), source: 'shared' };
  }

  /** Gives the shared store our config; a stored config that differs is in force (config drift). */
  async #register(): Promise<RegisterReply> {
    const { name, config } = this.#parts;
    const reply = await this.#call('register', (s) => s.register(name, config));
    this.#registered = true;
    this.#noteDrift(reply.configDrift, reply.snapshot.configHash);
    return reply;
  }

  /**
   * Switches to the local breaker after a failed shared call, restored from what
   * the pod knows (open for a cooldown of its own if the breaker was open or
   * half-open: see fallbackStart), and returns the local state. Returns undefined, and stays
   * put, when the error is a bug in the call rather than a store problem.
   */
  async #degrade(err: unknown): Promise<BreakerSnapshot | undefined> {
    const p = this.#parts;
    if (storeErrorKind(err) === 'bug') {
      p.log.error({ err }, 'store refused a breaker call: this is a bug');
      return undefined;
    }
    this.#noteStoreError(err, this.#source === 'shared');
    if (this.#source === 'shared') {
      this.#source = 'local';
      this.#degradedSince = p.clock();
      p.local.restore(fallbackStart(p.knows.known, p.clock() + p.knows.offsetMs), p.knows.offsetMs);
      p.metrics?.storeUp.set({ breaker: p.name }, 0);
      p.repeatLog.warn(
        'store-down',
        p.podId,
        { err },
        'shared breaker state unreachable: continuing on the local breaker',
      );
      p.signals.storeDegraded.emit({ error: err instanceof Error ? err : new Error(String(err)) });
    }
    return p.local.snapshot(p.name);
  }

  async #replayApart(): Promise<Rejoined | undefined> {
    const p = this.#parts;
    // What was counted apart and is still inside the local window.
    const { window } = await p.local.snapshot(p.name);
    const replayed = { failures: window.failures, successes: window.successes };
    const record = () => this.#call('record', (s) => s.record(p.name, p.podId, replayed));
    let reply: RecordReply;
    try {
      if (!this.#registered) await this.#register();
      try {
        reply = await record();
      } catch (err) {
        if (storeErrorKind(err) !== 'not_registered') throw err;
        // The store forgot our config (a caller's store may): register again, once.
        await this.#register();
        reply = await record();
      }
    } catch (err) {
      this.#noteStoreError(err, false);
      p.repeatLog.warn(
        'store-still-down',
        p.podId,
        { err },
        'shared breaker state still unreachable; staying on the local breaker',
      );
      return undefined;
    }
    const downtimeMs = this.#degradedSince === null ? 0 : p.clock() - this.#degradedSince;
    this.#source = 'shared';
    this.#degradedSince = null;
    p.metrics?.storeUp.set({ breaker: p.name }, 1);
    p.repeatLog.warn(
      'store-rejoined',
      p.podId,
      { downtimeMs, replayed },
      'shared breaker state reachable again: rejoined',
    );
    this.#noteDrift(reply.configDrift, reply.snapshot.configHash);
    return { answer: { reply, source: 'shared' }, recovered: { downtimeMs, replayed } };
  }

  /**
   * Counts a failed shared call by kind and does what that kind asks for;
   * `fallingBack`: the failure moves the pod from the shared store to its fallback.
   */
  #noteStoreError(err: unknown, fallingBack: boolean): void {
    const p = this.#parts;
    const kind = storeErrorKind(err);
    p.metrics?.storeErrors.inc({ breaker: p.name, kind: storeErrorLabel(kind) });
    if (kind === 'not_registered') this.#registered = false; // the rejoin registers again
    // A timed-out command stays queued in ioredis until Redis answers. The timeout that sends
    // the pod to its fallback drops the connection: what is queued fails now, and the
    // reconnect's 'ready' (its ready check answered) is the cue to rejoin. The timeouts of
    // rejoin attempts against a Redis that is only slow keep it (dropping it on every one
    // churned a connection a second per pod against a Redis already struggling), unless a
    // call on it is still unanswered a whole deadline past its own: a connection that looks
    // lost (a stalled Redis, a half-open socket).
    const { client, deadline } = p;
    if (kind !== 'timeout' || client?.status !== 'ready') return;
    if (fallingBack || deadline.overdueMs >= deadline.timeoutMs) client.disconnect(true);
  }

  /** The stored config (hash `storedHash`) differs from ours, or no longer does. */
  #noteDrift(drift: boolean, storedHash: string): void {
    if (drift === this.#drift) return;
    const p = this.#parts;
    this.#drift = drift;
    p.metrics?.configDrift.set({ breaker: p.name }, drift ? 1 : 0);
    if (drift) {
      const event = { localHash: this.#localConfigHash, storedHash };
      p.log.warn(event, 'this pod’s breaker config differs from the stored one; the stored one is in force');
      p.signals.configDrift.emit(event);
    }
  }

  #observeFlush(store: ViewSource, started: bigint): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#parts.metrics?.flushDuration.observe({ breaker: this.#parts.name, store }, seconds);
  }
}
