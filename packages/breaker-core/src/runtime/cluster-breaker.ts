import { BreakerOpenError } from '../errors/breaker-open-error.js';
import { BreakerMetrics, STATE_VALUES } from '../metrics.js';
import { admitsCalls, type BreakerSnapshot, type BreakerState } from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import type { BreakerStore, Disposable } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { RedisClient } from '../store/redis-store.js';
import type {
  ConfigDriftEvent,
  ProbeGrantedEvent,
  ProbeReportedEvent,
  StateChangeEvent,
  StoreDegradedEvent,
  StoreRecoveredEvent,
  ViewSource,
} from './breaker-events.js';
import { BreakerSignals } from './breaker-signals.js';
import type { BreakwaterLogger } from './breakwater-logger.js';
import { pendingCommands } from './fail-fast-client.js';
import type { ResolvedClusterBreakerOptions } from './options.js';
import { OutcomeBatcher } from './outcome-batcher.js';
import { outcomeSender } from './outcome-sender.js';
import { ProbeClient } from './probe-client.js';
import { RepeatLog } from './repeat-log.js';
import type { StoreDeadline } from './store-deadline.js';
import { StoreFailover } from './store-failover.js';
import { TransitionFeed } from './transition-feed.js';
import { ViewFollower } from './view-follower.js';

const CLUSTER_BREAKER = Symbol.for('breakwater.cluster-breaker');

/** True for a ClusterBreaker, from this copy of the package or another. */
export function isClusterBreaker(value: unknown): value is ClusterBreaker {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLUSTER_BREAKER] === true;
}

type Cause = StateChangeEvent['cause'];

export interface ClusterBreakerParts {
  readonly options: ResolvedClusterBreakerOptions;
  /** The shared store (Redis, or what the caller gave). */
  readonly shared: BreakerStore;
  /** Same rules in this process: the fallback while the shared store is unreachable. */
  readonly local: MemoryBreakerStore;
  /** The breaker's own command connection, when it owns one: its status gates calls. */
  readonly client?: RedisClient;
  /** The breaker's own subscriber connection, when it owns one: its 'ready' means "resubscribed, resync". */
  readonly subscriber?: RedisClient;
  /** Connections to close on close(). */
  readonly owned: readonly RedisClient[];
  /** Whether close() closes `shared` (not when the caller passed its own store). */
  readonly ownsShared: boolean;
  /** Whether `shared.register()` succeeded at start; if not, the rejoin registers first. */
  readonly registered: boolean;
  /** The deadline every call to `shared` runs under (commandTimeoutMs). */
  readonly deadline: StoreDeadline;
}

/**
 * One pod's handle on a breaker shared by the fleet.
 *
 * The hot path (`allow()`, `state`) reads fields of this object only;
 * `recordSuccess()`/`recordFailure()` count in the OutcomeBatcher, which sends
 * one store call per flush interval (or at once when this pod's outcomes alone
 * could trip the breaker). The ViewFollower keeps the view fresh (every reply,
 * pub/sub transitions through the TransitionFeed, a periodic resync, a timer
 * for the end of the cooldown) and tells this object what changed. When the
 * shared store fails or is slow, the StoreFailover moves the pod to a local
 * MemoryBreakerStore restored from what it knew, and back once the store
 * answers (replaying what was counted apart). Probes go through the
 * ProbeClient.
 */
export class ClusterBreaker {
  /** Brand for {@link isClusterBreaker}: survives two installed copies of the package, unlike instanceof. */
  readonly [CLUSTER_BREAKER] = true;
  readonly name: string;
  readonly podId: string;

  // ── what allow() and `state` read ──
  #state: BreakerState;
  #admits: boolean;
  #shadow: boolean;
  /** Refusals since the metrics were last collected (allow() never reaches prom-client itself). */
  #rejected = 0;
  #shadowRejected = 0;
  #closed = false;

  readonly #o: ResolvedClusterBreakerOptions;
  readonly #parts: ClusterBreakerParts;
  readonly #log: BreakwaterLogger;
  readonly #metrics: BreakerMetrics | undefined;
  readonly #signals: BreakerSignals;
  readonly #failover: StoreFailover;
  readonly #batcher: OutcomeBatcher;
  readonly #follower: ViewFollower;
  readonly #feed: TransitionFeed;
  readonly #probes: ProbeClient;
  #untrack: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  /** Use createClusterBreaker(); this constructor expects an initial snapshot. */
  constructor(parts: ClusterBreakerParts, initial: BreakerSnapshot, source: ViewSource) {
    const o = parts.options;
    this.#o = o;
    this.#parts = parts;
    this.name = o.name;
    this.podId = o.podId;
    const log = o.logger.child({ breaker: o.name, podId: o.podId });
    const storm = RepeatLog.for(log);
    this.#log = log;
    this.#signals = new BreakerSignals((err) => log.error({ err }, 'breaker event listener threw'));
    const metrics = o.registry ? BreakerMetrics.for(o.registry) : undefined;
    this.#metrics = metrics;

    this.#state = initial.state;
    this.#admits = admitsCalls(initial.state);
    this.#shadow = initial.mode === 'shadow';
    const common = { name: o.name, podId: o.podId, log, storm, metrics, signals: this.#signals };
    this.#failover = new StoreFailover({
      ...common,
      config: o.config,
      clock: o.clock,
      shared: parts.shared,
      local: parts.local,
      deadline: parts.deadline,
      client: parts.client,
      source,
      registered: parts.registered,
    });
    this.#follower = new ViewFollower({
      ...common,
      clock: o.clock,
      resyncIntervalMs: o.resyncIntervalMs,
      failover: this.#failover,
      local: parts.local,
      initial,
      onKnown: this.#onKnown,
      onSharedAnswer: () => this.#feed.retry(),
    });
    this.#feed = new TransitionFeed({
      ...common,
      store: parts.shared,
      subscriber: parts.subscriber,
      onTransition: this.#follower.hear,
      resync: () => this.#follower.resync('resync'),
    });
    const views = { failover: this.#failover, follower: this.#follower, local: parts.local };
    this.#batcher = new OutcomeBatcher(
      o.flushIntervalMs,
      o.clock,
      outcomeSender({ ...common, ...views }),
      tripRules(initial),
    );
    this.#probes = new ProbeClient({ ...common, ...views });

    metrics?.state.set({ breaker: this.name }, STATE_VALUES[initial.state]);
    if (metrics) {
      this.#untrack = [
        metrics.trackStaleness(() => ({ breaker: this.name, seconds: this.staleness / 1_000 })),
        metrics.trackRejections(this.#reportRejections),
      ];
    }
  }

  // ── hot path: no I/O, no allocation ──────────────────────────────────────

  /** May this pod dial now? Reads the in-process view only. In shadow mode always true. */
  allow(): boolean {
    if (this.#admits) return true;
    if (this.#shadow) {
      this.#shadowRejected++;
      return true;
    }
    this.#rejected++;
    return false;
  }

  /** The state callers obey, as of the latest view. */
  get state(): BreakerState {
    return this.#state;
  }

  /** Counted here, sent with the next flush (see OutcomeBatcher: at most one timer and one microtask per interval). */
  recordSuccess(): void {
    this.#batcher.recordSuccess();
  }

  recordFailure(): void {
    this.#batcher.recordFailure();
  }

  /** allow() → run → record. Rejects with BreakerOpenError (without calling fn) when not allowed. */
  execute<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
    if (!this.allow()) return Promise.reject(new BreakerOpenError(this.name, this.#state));
    let result: T | PromiseLike<T>;
    try {
      result = fn();
    } catch (err) {
      this.recordFailure();
      return Promise.reject(err);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.recordSuccess();
        return value;
      },
      (err: unknown) => {
        this.recordFailure();
        throw err;
      },
    );
  }

  // ── what the view says ──────────────────────────────────────────────────

  /** The generation of `state`. */
  get generation(): number {
    return this.#follower.generation;
  }

  /**
   * The latest full snapshot (do not mutate). After a pub/sub transition,
   * `state` and `generation` move at once and this catches up on the resync
   * that follows, milliseconds later.
   */
  get snapshot(): BreakerSnapshot {
    return this.#follower.view;
  }

  /** `shared` while following Redis, `local` while on the fallback. */
  get source(): ViewSource {
    return this.#failover.source;
  }

  /** Age of the view, ms (pod clock). */
  get staleness(): number {
    return this.#follower.staleness;
  }

  /** Operational counters for dashboards and tests; cheap, no I/O. */
  diagnostics(): {
    source: ViewSource;
    pending: { failures: number; successes: number };
    redisPendingCommands: number;
    subscriberPendingCommands: number;
    configDrift: boolean;
  } {
    const { client, subscriber } = this.#parts;
    return {
      source: this.#failover.source,
      pending: this.#batcher.pending,
      redisPendingCommands: client ? pendingCommands(client) : 0,
      subscriberPendingCommands: subscriber ? pendingCommands(subscriber) : 0,
      configDrift: this.#failover.configDrift,
    };
  }

  // ── probes ──────────────────────────────────────────────────────────────

  /**
   * The one cluster-wide probe lease, when half-open (or the cooldown has just
   * ended on the store's clock); otherwise null. Never rejects.
   */
  async acquireProbe(): Promise<ProbeLease | null> {
    return this.#closed ? null : this.#probes.acquire(this.#state);
  }

  /** Reports the probe's result; true if the store accepted it (a stale lease is refused). Never rejects. */
  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<boolean> {
    return this.#closed ? false : this.#probes.report(lease, outcome);
  }

  // ── events ──────────────────────────────────────────────────────────────

  onStateChange(listener: (e: StateChangeEvent) => void): Disposable {
    return this.#signals.stateChange.on(listener);
  }

  onStoreDegraded(listener: (e: StoreDegradedEvent) => void): Disposable {
    return this.#signals.storeDegraded.on(listener);
  }

  onStoreRecovered(listener: (e: StoreRecoveredEvent) => void): Disposable {
    return this.#signals.storeRecovered.on(listener);
  }

  onProbeGranted(listener: (e: ProbeGrantedEvent) => void): Disposable {
    return this.#signals.probeGranted.on(listener);
  }

  onProbeReported(listener: (e: ProbeReportedEvent) => void): Disposable {
    return this.#signals.probeReported.on(listener);
  }

  onConfigDrift(listener: (e: ConfigDriftEvent) => void): Disposable {
    return this.#signals.configDrift.on(listener);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /** Starts timers and the subscription. Called by createClusterBreaker(). */
  async start(configDrift: boolean): Promise<void> {
    if (configDrift) this.#failover.noteDrift(true, this.#follower.view.configHash);
    this.#follower.start();
    // After a reconnect messages may have been missed: resync. On the fallback this is
    // also the cue to rejoin. (The subscriber's reconnects are the TransitionFeed's.)
    this.#parts.client?.on('ready', this.#onClientReady);
    // Wait for the subscription while Redis answers; never hang start-up on a Redis that does not.
    await Promise.race([this.#feed.start(), delay(this.#o.startTimeoutMs)]);
  }

  /** Stops timers, sends what is still counted (bounded by the command timeout), closes connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const parts = this.#parts;
    this.#follower.stopTimers();
    parts.client?.off('ready', this.#onClientReady);
    this.#feed.close();
    await this.#batcher.drain();
    this.#closed = true;
    this.#follower.close();
    if (parts.ownsShared) await parts.shared.close().catch(() => {});
    await parts.local.close();
    for (const client of parts.owned) client.disconnect();
    this.#reportRejections();
    for (const untrack of this.#untrack) untrack();
    this.#metrics?.forget(this.name);
    this.#signals.clear();
  }

  // ── internals ───────────────────────────────────────────────────────────

  readonly #onClientReady = (): void => {
    void this.#follower.resync('resync');
  };

  /** What the pod knows changed: the hot path follows. */
  readonly #onKnown = (known: BreakerSnapshot, cause: Cause, source: ViewSource): void => {
    this.#shadow = known.mode === 'shadow';
    this.#batcher.tripRules = tripRules(known);
    this.#setState(known.state, known.generation, cause, source);
  };

  /** The one place the state callers obey changes: metrics, one log line, one event. */
  #setState(to: BreakerState, generation: number, cause: Cause, source: ViewSource): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#admits = admitsCalls(to);
    this.#metrics?.state.set({ breaker: this.name }, STATE_VALUES[to]);
    this.#metrics?.transitions.inc({ breaker: this.name, from, to });
    this.#log.info({ from, to, generation, cause, source }, `breaker ${from} -> ${to}`);
    this.#signals.stateChange.emit({ from, to, generation, cause, source });
  }

  /** Called when the metrics are collected (and on close). */
  readonly #reportRejections = (): void => {
    if (!this.#metrics) return;
    if (this.#rejected > 0) this.#metrics.rejections.inc({ breaker: this.name, mode: 'enforce' }, this.#rejected);
    if (this.#shadowRejected > 0) {
      this.#metrics.rejections.inc({ breaker: this.name, mode: 'shadow' }, this.#shadowRejected);
    }
    this.#rejected = 0;
    this.#shadowRejected = 0;
  };
}

/** The rule an early flush checks against: only while the automatic state is closed can a record trip. */
function tripRules(known: BreakerSnapshot) {
  return known.automaticState === 'closed' ? known.config : null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
