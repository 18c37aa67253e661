import { type BreakerConfig, configHash } from '../config/breaker-config.js';
import { BreakerOpenError } from '../errors/breaker-open-error.js';
import { BreakerMetrics, STATE_VALUES } from '../metrics.js';
import {
  admitsCalls,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
} from '../state/breaker-state.js';
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
import type { BreakwaterLogger } from './breakwater-logger.js';
import { couldTripAlone } from './could-trip-alone.js';
import { isCluster, pendingCommands } from './fail-fast-client.js';
import type { ResolvedClusterBreakerOptions } from './options.js';
import { RepeatLog } from './repeat-log.js';
import { causeOfChange } from './reply-cause.js';
import { Signal } from './signal.js';
import type { StoreDeadline } from './store-deadline.js';
import { storeErrorKind, storeErrorLabel } from './store-error-kind.js';
import { patchView } from './view-patch.js';

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
 * The hot path (`allow()`, `state`, `recordSuccess()`, `recordFailure()`)
 * touches only fields of this object. Outcomes are counted and sent as one
 * store call per flush interval (or at once when this pod's failures alone
 * could trip the breaker). The view is refreshed by every reply, by pub/sub
 * transitions, by a periodic resync and by a timer set for the end of the
 * cooldown. When the shared store fails or is slow, the pod continues on a
 * local MemoryBreakerStore restored from its last view, and rejoins (sending
 * what it counted meanwhile) once the store answers again.
 */
export class ClusterBreaker {
  readonly name: string;
  readonly podId: string;

  // ── the hot path reads only these ──
  #state: BreakerState;
  #generation: number;
  #admits: boolean;
  #shadow: boolean;
  #pendingFailures = 0;
  #pendingSuccesses = 0;
  #rejected = 0;
  #shadowRejected = 0;
  /** An early flush is on its way (microtask or timer): no more scheduling until it has run. */
  #urgent = false;
  /** The config whose trip rule the pending outcomes are checked against; null unless the automatic state is closed. */
  #tripRules: BreakerConfig | null;

  // ── the view and where it came from ──
  /** The latest full snapshot. */
  #view: BreakerSnapshot;
  /**
   * The latest snapshot with the transitions heard since applied (view-patch.ts):
   * what the due timer, the early-flush rule and a fallback work from, so a
   * fallback that starts before the resync answers cannot undo a transition.
   */
  #known: BreakerSnapshot;
  #source: ViewSource = 'shared';
  /** Store clock minus pod clock, from the latest shared reply (for cooldown timing and the fallback). */
  #offsetMs = 0;
  #refreshedAt: number;
  #degradedSince: number | null = null;
  #drift = false;
  /** `shared` knows our config (RedisBreakerStore.record() refuses a breaker it was not given). */
  #registered: boolean;

  readonly #o: ResolvedClusterBreakerOptions;
  readonly #shared: BreakerStore;
  readonly #deadline: StoreDeadline;
  readonly #local: MemoryBreakerStore;
  readonly #client: RedisClient | undefined;
  readonly #subscriber: RedisClient | undefined;
  readonly #owned: readonly RedisClient[];
  readonly #ownsShared: boolean;
  readonly #localConfigHash: string;
  readonly #localLeases = new WeakSet<ProbeLease>();
  readonly #log: BreakwaterLogger;
  readonly #storm: RepeatLog;
  readonly #metrics: BreakerMetrics | undefined;
  #untrackStaleness: (() => void) | undefined;
  #untrackRejections: (() => void) | undefined;

  #flushTimer: NodeJS.Timeout | undefined;
  /** A flush is scheduled. An idle pod arms no timer at all: the first outcome arms one. */
  #flushArmed = false;
  /** Pod clock when the latest non-empty flush started: real flushes are at least one interval apart. */
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #resyncTimer: NodeJS.Timeout | undefined;
  #dueTimer: NodeJS.Timeout | undefined;
  /** The flush in flight, if any: never two at once. */
  #inFlight: Promise<void> | undefined;
  /** Set when close() starts: nothing new is scheduled, what is counted meanwhile goes in the last flush. */
  #closing: Promise<void> | undefined;
  #resyncing = false;
  #resyncAgain = false;
  #subscription: Disposable | undefined;
  /** The one subscribe() in flight, if any: never two, or a second would look subscribed without a SUBSCRIBE. */
  #subscribing: Promise<void> | undefined;
  #pingingSubscriber = false;
  #closed = false;

  readonly #onStateChange: Signal<StateChangeEvent>;
  readonly #onStoreDegraded: Signal<StoreDegradedEvent>;
  readonly #onStoreRecovered: Signal<StoreRecoveredEvent>;
  readonly #onProbeGranted: Signal<ProbeGrantedEvent>;
  readonly #onProbeReported: Signal<ProbeReportedEvent>;
  readonly #onConfigDrift: Signal<ConfigDriftEvent>;

  /** Use createClusterBreaker(); this constructor expects an initial snapshot. */
  constructor(parts: ClusterBreakerParts, initial: BreakerSnapshot, source: ViewSource) {
    const o = parts.options;
    this.#o = o;
    this.name = o.name;
    this.podId = o.podId;
    this.#shared = parts.shared;
    this.#deadline = parts.deadline;
    this.#local = parts.local;
    this.#client = parts.client;
    this.#subscriber = parts.subscriber;
    this.#owned = parts.owned;
    this.#ownsShared = parts.ownsShared;
    this.#registered = parts.registered;
    this.#localConfigHash = configHash(o.config);
    this.#log = o.logger.child({ breaker: o.name, podId: o.podId });
    this.#storm = RepeatLog.for(this.#log);
    const onListenerError = (err: unknown) => this.#log.error({ err }, 'breaker event listener threw');
    this.#onStateChange = new Signal(onListenerError);
    this.#onStoreDegraded = new Signal(onListenerError);
    this.#onStoreRecovered = new Signal(onListenerError);
    this.#onProbeGranted = new Signal(onListenerError);
    this.#onProbeReported = new Signal(onListenerError);
    this.#onConfigDrift = new Signal(onListenerError);
    this.#metrics = o.registry ? BreakerMetrics.for(o.registry) : undefined;

    this.#view = initial;
    this.#known = initial;
    this.#state = initial.state;
    this.#generation = initial.generation;
    this.#admits = admitsCalls(initial.state);
    this.#tripRules = initial.automaticState === 'closed' ? initial.config : null;
    this.#shadow = initial.mode === 'shadow';
    this.#source = source;
    this.#refreshedAt = o.clock();
    if (source === 'shared') this.#offsetMs = initial.at - this.#refreshedAt;
    else this.#degradedSince = this.#refreshedAt;
    this.#metrics?.state.set({ breaker: this.name }, STATE_VALUES[initial.state]);
    this.#metrics?.storeUp.set({ breaker: this.name }, source === 'shared' ? 1 : 0);
    this.#untrackStaleness = this.#metrics?.trackStaleness(() => ({
      breaker: this.name,
      seconds: this.staleness / 1_000,
    }));
    this.#untrackRejections = this.#metrics?.trackRejections(this.#reportRejections);
  }

  // ── hot path: no I/O, no allocation ──────────────────────────────────────
  //
  // allow() only reads and counts (rejections reach the metrics when they are
  // scraped). record*() count; the first outcome after an idle interval arms
  // the one flush timer of its batch (never more than one timer per flush
  // interval), and when the pending outcomes alone could trip the breaker one
  // microtask asks for an early flush (at most one per flush interval: `#urgent`
  // stays set until the flush has taken the outcomes).

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

  recordSuccess(): void {
    if (this.#closed) return;
    this.#pendingSuccesses++;
    if (!this.#flushArmed) this.#armFlush();
    // A success can bring the pending calls up to the failure-rate rule's minimum.
    const rules = this.#tripRules;
    if (rules?.failureRate && !this.#urgent && couldTripAlone(this.#pendingFailures, this.#pendingSuccesses, rules)) {
      this.#flushSoon();
    }
  }

  recordFailure(): void {
    if (this.#closed) return;
    this.#pendingFailures++;
    if (!this.#flushArmed) this.#armFlush();
    const rules = this.#tripRules;
    if (rules !== null && !this.#urgent && couldTripAlone(this.#pendingFailures, this.#pendingSuccesses, rules)) {
      this.#flushSoon();
    }
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
    return this.#generation;
  }

  /**
   * The latest full snapshot (do not mutate). After a pub/sub transition,
   * `state` and `generation` move at once and this catches up on the resync
   * that follows, milliseconds later.
   */
  get snapshot(): BreakerSnapshot {
    return this.#view;
  }

  /** `shared` while following Redis, `local` while on the fallback. */
  get source(): ViewSource {
    return this.#source;
  }

  /** Age of the view, ms (pod clock). */
  get staleness(): number {
    return Math.max(0, this.#o.clock() - this.#refreshedAt);
  }

  /** Operational counters for dashboards and tests; cheap, no I/O. */
  diagnostics(): {
    source: ViewSource;
    pending: { failures: number; successes: number };
    redisPendingCommands: number;
    subscriberPendingCommands: number;
    configDrift: boolean;
  } {
    return {
      source: this.#source,
      pending: { failures: this.#pendingFailures, successes: this.#pendingSuccesses },
      redisPendingCommands: this.#client ? pendingCommands(this.#client) : 0,
      subscriberPendingCommands: this.#subscriber ? pendingCommands(this.#subscriber) : 0,
      configDrift: this.#drift,
    };
  }

  // ── probes ──────────────────────────────────────────────────────────────

  /**
   * The one cluster-wide probe lease, when half-open (or the cooldown has just
   * ended on the store's clock); otherwise null. Never rejects.
   */
  async acquireProbe(): Promise<ProbeLease | null> {
    if (this.#closed) return null;
    const v = this.#known;
    const cooldownOver = v.cooldownUntil !== null && v.cooldownUntil - this.#offsetMs <= this.#o.clock();
    if (this.#state !== 'half_open' && !(this.#state === 'open' && cooldownOver)) return null;
    const attempt = async (source: ViewSource) => {
      const reply =
        source === 'shared'
          ? await this.#sharedCall('acquireProbe', (s) => s.acquireProbe(this.name, this.podId))
          : await this.#local.acquireProbe(this.name, this.podId);
      this.#apply(reply.snapshot, source, causeOfChange(this.#known, reply.snapshot));
      return reply;
    };
    let source = this.#source;
    let reply: Awaited<ReturnType<typeof attempt>>;
    try {
      reply = await attempt(source);
    } catch (err) {
      if (source === 'local' || !this.#degrade(err)) return null;
      source = 'local';
      try {
        reply = await attempt(source);
      } catch {
        return null;
      }
    }
    if (!reply.granted) {
      this.#metrics?.probes.inc({ breaker: this.name, result: 'refused' });
      return null;
    }
    if (source === 'local') this.#localLeases.add(reply.lease);
    this.#metrics?.probes.inc({ breaker: this.name, result: 'granted' });
    this.#storm.info(
      'probe-granted',
      this.podId,
      { generation: reply.lease.generation, source, expiresAt: reply.lease.expiresAt },
      'probe lease granted',
    );
    this.#onProbeGranted.emit({ lease: reply.lease, source });
    return reply.lease;
  }

  /** Reports the probe's result; true if the store accepted it (a stale lease is refused). Never rejects. */
  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<boolean> {
    if (this.#closed) return false;
    const source: ViewSource = this.#localLeases.has(lease) ? 'local' : 'shared';
    let accepted = false;
    try {
      const reply =
        source === 'shared'
          ? await this.#sharedCall('reportProbe', (s) => s.reportProbe(lease, outcome))
          : await this.#local.reportProbe(lease, outcome);
      accepted = reply.accepted;
      this.#apply(reply.snapshot, source, causeOfChange(this.#known, reply.snapshot));
    } catch (err) {
      if (source === 'shared') this.#degrade(err);
    }
    this.#metrics?.probes.inc({ breaker: this.name, result: accepted ? 'accepted' : 'rejected' });
    this.#storm.info(
      'probe-reported',
      this.podId,
      { generation: lease.generation, outcome, accepted },
      'probe reported',
    );
    this.#onProbeReported.emit({ lease, outcome, accepted });
    return accepted;
  }

  // ── events ──────────────────────────────────────────────────────────────

  onStateChange(listener: (e: StateChangeEvent) => void): Disposable {
    return this.#onStateChange.on(listener);
  }

  onStoreDegraded(listener: (e: StoreDegradedEvent) => void): Disposable {
    return this.#onStoreDegraded.on(listener);
  }

  onStoreRecovered(listener: (e: StoreRecoveredEvent) => void): Disposable {
    return this.#onStoreRecovered.on(listener);
  }

  onProbeGranted(listener: (e: ProbeGrantedEvent) => void): Disposable {
    return this.#onProbeGranted.on(listener);
  }

  onProbeReported(listener: (e: ProbeReportedEvent) => void): Disposable {
    return this.#onProbeReported.on(listener);
  }

  onConfigDrift(listener: (e: ConfigDriftEvent) => void): Disposable {
    return this.#onConfigDrift.on(listener);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /** Starts timers and the subscription. Called by createClusterBreaker(). */
  async start(configDrift: boolean): Promise<void> {
    if (configDrift) this.#noteDrift(true);
    const resync = setInterval(() => void this.#resync('resync'), this.#o.resyncIntervalMs);
    resync.unref?.();
    this.#resyncTimer = resync;
    this.#scheduleDue();
    // After a reconnect messages may have been missed: resync (the command connection's
    // 'ready' is also the cue to rejoin). The subscriber's 'ready' first makes sure the
    // subscription is in place.
    this.#client?.on('ready', this.#onClientReady);
    this.#subscriber?.on('ready', this.#onSubscriberReady);
    // Wait for the subscription while Redis answers; never hang start-up on a Redis that does not.
    await Promise.race([this.#subscribe(), delay(this.#o.startTimeoutMs)]);
  }

  /** Stops timers, sends what is still counted (best effort, bounded by the command timeout), closes connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearTimeout(this.#flushTimer);
    clearInterval(this.#resyncTimer);
    clearTimeout(this.#dueTimer);
    this.#client?.off('ready', this.#onClientReady);
    this.#subscriber?.off('ready', this.#onSubscriberReady);
    this.#subscription?.dispose();
    // A flush in flight carries only what was counted before it started: let it finish,
    // then send the rest. Each is one store call, bounded by the command timeout.
    await this.#inFlight;
    clearTimeout(this.#flushTimer);
    await this.#flush();
    this.#closed = true;
    if (this.#ownsShared) await this.#shared.close().catch(() => {});
    await this.#local.close();
    for (const client of this.#owned) client.disconnect();
    this.#untrackStaleness?.();
    this.#reportRejections();
    this.#untrackRejections?.();
    this.#metrics?.forget(this.name);
    for (const s of [
      this.#onStateChange,
      this.#onStoreDegraded,
      this.#onStoreRecovered,
      this.#onProbeGranted,
      this.#onProbeReported,
      this.#onConfigDrift,
    ]) {
      s.clear();
    }
  }

  // ── internals ───────────────────────────────────────────────────────────

  readonly #onTransition = (t: BreakerTransition): void => {
    if (this.#closed || this.#source !== 'shared' || t.generation <= this.#generation) return;
    // Act on the new state at once, and keep what we know in step with it: if the resync that
    // follows fails, the fallback is restored from #known, which must not be the older snapshot.
    const view = patchView(this.#known, t);
    this.#known = view;
    this.#generation = t.generation;
    this.#tripRules = view.automaticState === 'closed' ? view.config : null;
    this.#scheduleDue();
    this.#setState(t.state, t.generation, t.action, 'shared');
    void this.#resync(t.action);
  };

  readonly #onClientReady = (): void => {
    void this.#resync('resync');
  };

  /**
   * ioredis emits 'ready' before it re-sends SUBSCRIBE, so a resync started right
   * away could read the state before the subscription is back and miss a
   * transition published in between. Subscribe if we never could, else wait for
   * a PING queued behind ioredis's own SUBSCRIBE (same connection, in order),
   * then resync. A Cluster subscribes on a node of its choosing: resync at once.
   */
  readonly #onSubscriberReady = (): void => {
    if (this.#closed) return;
    const subscribed = this.#subscription !== undefined;
    void this.#subscribe().then(async () => {
      const sub = this.#subscriber;
      if (subscribed && sub && !isCluster(sub) && !this.#pingingSubscriber) {
        this.#pingingSubscriber = true;
        await sub.ping().catch(() => {});
        this.#pingingSubscriber = false;
      }
      await this.#resync('resync');
    });
  };

  /**
   * Subscribes to the breaker's transitions unless subscribed or trying. Never
   * rejects: a failure is retried on the subscriber's next 'ready' and after the
   * next successful resync, so a pod that could not subscribe at start (Redis
   * down, a caller's store failing) still gets pub/sub once the store is back.
   */
  #subscribe(): Promise<void> {
    if (this.#closed || this.#subscription) return Promise.resolve();
    this.#subscribing ??= this.#shared.subscribe(this.name, this.#onTransition).then(
      (subscription) => {
        this.#subscribing = undefined;
        if (this.#closed) subscription.dispose();
        else this.#subscription = subscription;
      },
      (err: unknown) => {
        this.#subscribing = undefined;
        this.#storm.warn(
          'subscribe',
          this.podId,
          { err },
          'could not subscribe to breaker transitions; relying on resync and retrying',
        );
      },
    );
    return this.#subscribing;
  }

  /**
   * The first outcome after the pod was idle: flush one interval from now, so
   * the batch gathers. Later batches re-arm from #afterFlush, off the hot path;
   * an idle pod does not wake up at all.
   */
  #armFlush(): void {
    if (this.#closing) return;
    this.#flushArmed = true;
    this.#setFlushTimer(this.#o.flushIntervalMs);
  }

  #setFlushTimer(ms: number): void {
    clearTimeout(this.#flushTimer);
    const timer = setTimeout(this.#tick, ms);
    timer.unref?.();
    this.#flushTimer = timer;
  }

  /** Milliseconds until a record call may be sent: real flushes stay one interval apart on the pod's clock. */
  #untilNextSend(): number {
    return this.#lastSentAt + this.#o.flushIntervalMs - this.#o.clock();
  }

  readonly #tick = (): void => {
    clearTimeout(this.#flushTimer); // an early flush replaces the timer the batch armed
    this.#flushTimer = undefined;
    if (this.#closing || this.#inFlight) return;
    const wait = this.#untilNextSend();
    if (wait > 0) {
      // Too early on the pod's clock (an injected clock, or a timer firing a little early).
      this.#setFlushTimer(wait);
      return;
    }
    void this.#flush().finally(this.#afterFlush);
  };

  /** While outcomes keep coming, the next flush is one interval after this one started, not after it ended. */
  readonly #afterFlush = (): void => {
    this.#flushArmed = false;
    if (this.#closing || this.#pendingFailures + this.#pendingSuccesses === 0) return;
    this.#flushArmed = true;
    this.#setFlushTimer(Math.max(0, this.#untilNextSend()));
  };

  /** The pending outcomes alone could trip the breaker: send them as soon as the interval rule allows. */
  #flushSoon(): void {
    this.#urgent = true;
    queueMicrotask(this.#urgentTick); // off the caller's stack, once per flush interval at most
  }

  readonly #urgentTick = (): void => {
    // In flight: #afterFlush re-arms for lastSentAt + interval, which is as soon as allowed.
    if (this.#closing || this.#inFlight) return;
    const wait = this.#untilNextSend();
    this.#flushArmed = true;
    if (wait > 0) this.#setFlushTimer(wait);
    else this.#tick();
  };

  /** Sends what is counted as one record call (nothing if nothing is); the promise settles when it is applied. */
  #flush(): Promise<void> {
    if (this.#inFlight || this.#closed) return this.#inFlight ?? Promise.resolve();
    const failures = this.#pendingFailures;
    const successes = this.#pendingSuccesses;
    this.#pendingFailures = 0;
    this.#pendingSuccesses = 0;
    this.#urgent = false;
    if (failures === 0 && successes === 0) return Promise.resolve();
    if (this.#metrics) {
      if (failures > 0) this.#metrics.calls.inc({ breaker: this.name, outcome: 'failure' }, failures);
      if (successes > 0) this.#metrics.calls.inc({ breaker: this.name, outcome: 'success' }, successes);
    }
    this.#lastSentAt = this.#o.clock();
    const sending = this.#send(failures, successes).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = sending;
    return sending;
  }

  async #send(failures: number, successes: number): Promise<void> {
    try {
      if (this.#source === 'shared') {
        const started = process.hrtime.bigint();
        try {
          const reply = await this.#sharedCall('record', (s) =>
            s.record(this.name, this.podId, { failures, successes }),
          );
          this.#observeFlush('shared', started);
          this.#afterRecord(reply, 'shared');
          return;
        } catch (err) {
          this.#observeFlush('shared', started);
          if (!this.#degrade(err)) return;
        }
      }
      // On the fallback (or just fallen back): the same outcomes feed the local breaker.
      const started = process.hrtime.bigint();
      const reply = await this.#local.record(this.name, this.podId, { failures, successes });
      this.#observeFlush('local', started);
      this.#afterRecord(reply, 'local');
    } catch (err) {
      this.#storm.warn('flush', this.podId, { err }, 'could not record outcomes');
    }
  }

  #observeFlush(store: ViewSource, started: bigint): void {
    this.#metrics?.flushDuration.observe(
      { breaker: this.name, store },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  }

  #afterRecord(reply: Awaited<ReturnType<BreakerStore['record']>>, source: ViewSource): void {
    const cause = reply.transitions.at(-1)?.action ?? 'resync';
    this.#apply(reply.snapshot, source, cause, { authoritative: reply.created });
    if (source === 'shared') this.#noteDrift(reply.configDrift);
  }

  /** Called when the metrics are collected (and on close): allow() itself never reaches prom-client. */
  readonly #reportRejections = (): void => {
    if (!this.#metrics) return;
    if (this.#rejected > 0) this.#metrics.rejections.inc({ breaker: this.name, mode: 'enforce' }, this.#rejected);
    if (this.#shadowRejected > 0) {
      this.#metrics.rejections.inc({ breaker: this.name, mode: 'shadow' }, this.#shadowRejected);
    }
    this.#rejected = 0;
    this.#shadowRejected = 0;
  };

  async #resync(cause: Cause): Promise<void> {
    if (this.#closed) return;
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return;
    }
    this.#resyncing = true;
    try {
      if (this.#source === 'shared') await this.#resyncShared(cause);
      else await this.#resyncLocal();
    } catch (err) {
      this.#storm.warn('resync', this.podId, { err }, 'resync failed');
    } finally {
      this.#resyncing = false;
      if (this.#resyncAgain && !this.#closed) {
        this.#resyncAgain = false;
        void this.#resync(cause);
      }
    }
  }

  async #resyncShared(cause: Cause): Promise<void> {
    try {
      this.#apply(await this.#sharedCall('snapshot', (s) => s.snapshot(this.name)), 'shared', cause);
      if (!this.#subscription) void this.#subscribe(); // the store answers: try again
    } catch (err) {
      if (storeErrorKind(err) === 'not_found') {
        // Redis lost the breaker (restart without persistence): create it again from our config.
        try {
          const reply = await this.#sharedCall('register', (s) => s.register(this.name, this.#o.config));
          this.#registered = true;
          this.#apply(reply.snapshot, 'shared', 'resync', { authoritative: true });
          this.#noteDrift(reply.configDrift);
        } catch (again) {
          this.#degrade(again);
        }
        return;
      }
      this.#degrade(err);
    }
  }

  async #resyncLocal(): Promise<void> {
    this.#apply(await this.#local.snapshot(this.name), 'local', 'resync');
    if (this.#client && this.#client.status !== 'ready') return; // would fail at once; wait for 'ready'
    await this.#rejoin();
  }

  /**
   * Back to the shared state: register first if the pod never could (it started
   * while the store was down), send what was counted while apart (still in the
   * window), adopt the shared view.
   */
  async #rejoin(): Promise<void> {
    const local = this.#view;
    const replayed = { failures: local.window.failures, successes: local.window.successes };
    let reply: Awaited<ReturnType<BreakerStore['record']>>;
    try {
      if (!this.#registered) await this.#registerShared();
      try {
        reply = await this.#sharedCall('record', (s) => s.record(this.name, this.podId, replayed));
      } catch (err) {
        if (storeErrorKind(err) !== 'not_registered') throw err;
        // The store forgot our config (a caller's store may): register again, once.
        await this.#registerShared();
        reply = await this.#sharedCall('record', (s) => s.record(this.name, this.podId, replayed));
      }
    } catch (err) {
      this.#noteStoreError(err);
      this.#storm.warn(
        'store-still-down',
        this.podId,
        { err },
        'shared breaker state still unreachable; staying on the local breaker',
      );
      return;
    }
    const downtimeMs = this.#degradedSince === null ? 0 : this.#o.clock() - this.#degradedSince;
    this.#source = 'shared';
    this.#degradedSince = null;
    this.#metrics?.storeUp.set({ breaker: this.name }, 1);
    this.#storm.warn(
      'store-rejoined',
      this.podId,
      { downtimeMs, replayed },
      'shared breaker state reachable again: rejoined',
    );
    this.#apply(reply.snapshot, 'shared', 'rejoin', { authoritative: true });
    this.#noteDrift(reply.configDrift);
    this.#onStoreRecovered.emit({ downtimeMs, replayed });
  }

  /** Gives the shared store our config; a stored config that differs is in force (config drift). */
  async #registerShared(): Promise<void> {
    const reply = await this.#sharedCall('register', (s) => s.register(this.name, this.#o.config));
    this.#registered = true;
    this.#noteDrift(reply.configDrift, reply.snapshot.configHash);
  }

  /** One call to the shared store under the pod's deadline: slower is failed (and a late reply dropped). */
  #sharedCall<T>(operation: string, call: (store: BreakerStore) => Promise<T>): Promise<T> {
    return this.#deadline.run(operation, () => call(this.#shared));
  }

  /**
   * Switches to the local breaker after a failed shared call. Returns false
   * (and stays put) when the error is a bug in the call, not a store problem.
   */
  #degrade(err: unknown): boolean {
    if (storeErrorKind(err) === 'bug') {
      this.#log.error({ err }, 'store refused a breaker call: this is a bug');
      return false;
    }
    this.#noteStoreError(err);
    if (this.#source === 'local') return true;
    this.#source = 'local';
    this.#degradedSince = this.#o.clock();
    this.#local.restore(this.#known, this.#offsetMs);
    this.#metrics?.storeUp.set({ breaker: this.name }, 0);
    this.#storm.warn(
      'store-down',
      this.podId,
      { err },
      'shared breaker state unreachable: continuing on the local breaker',
    );
    const error = err instanceof Error ? err : new Error(String(err));
    this.#onStoreDegraded.emit({ error });
    this.#local.snapshot(this.name).then(
      (snap) => this.#apply(snap, 'local', 'fallback', { authoritative: true }),
      (again: unknown) => this.#log.error({ err: again }, 'local breaker could not be read after the fallback'),
    );
    return true;
  }

  /** Counts a failed shared call by kind and does what that kind asks for. */
  #noteStoreError(err: unknown): void {
    const kind = storeErrorKind(err);
    this.#metrics?.storeErrors.inc({ breaker: this.name, kind: storeErrorLabel(kind) });
    if (kind === 'not_registered') this.#registered = false; // the rejoin registers again
    // A timed-out command stays queued in ioredis until Redis answers; dropping the
    // connection fails it now, so nothing piles up behind a stalled Redis.
    if (kind === 'timeout' && this.#client?.status === 'ready') this.#client.disconnect(true);
  }

  #noteDrift(drift: boolean, storedHash = this.#view.configHash): void {
    if (drift === this.#drift) return;
    this.#drift = drift;
    this.#metrics?.configDrift.set({ breaker: this.name }, drift ? 1 : 0);
    if (drift) {
      const event = { localHash: this.#localConfigHash, storedHash };
      this.#log.warn(event, 'this pod’s breaker config differs from the stored one; the stored one is in force');
      this.#onConfigDrift.emit(event);
    }
  }

  #apply(
    snap: BreakerSnapshot,
    source: ViewSource,
    cause: Cause,
    { authoritative = false }: { authoritative?: boolean } = {},
  ): void {
    if (this.#closed || source !== this.#source) return; // a late reply from the other store
    if (!authoritative && snap.generation < this.#generation) return; // older than what we know
    const now = this.#o.clock();
    this.#view = snap;
    this.#known = snap;
    this.#generation = snap.generation;
    this.#shadow = snap.mode === 'shadow';
    this.#tripRules = snap.automaticState === 'closed' ? snap.config : null;
    this.#refreshedAt = now;
    this.#offsetMs = source === 'shared' ? snap.at - now : 0;
    this.#scheduleDue();
    this.#setState(snap.state, snap.generation, cause, source);
  }

  /** The one place the state callers obey changes: metrics, one log line, one event. */
  #setState(to: BreakerState, generation: number, cause: Cause, source: ViewSource): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#admits = admitsCalls(to);
    this.#metrics?.state.set({ breaker: this.name }, STATE_VALUES[to]);
    this.#metrics?.transitions.inc({ breaker: this.name, from, to });
    this.#log.info({ from, to, generation, cause, source }, `breaker ${from} -> ${to}`);
    this.#onStateChange.emit({ from, to, generation, cause, source });
  }

  /** Wakes up when the cooldown or an override ends (store clock), so the fleet half-opens on time. */
  #scheduleDue(): void {
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    const v = this.#known;
    const due = [
      v.state === 'open' || v.automaticState === 'open' ? v.cooldownUntil : null,
      v.override?.expiresAt ?? null,
    ]
      .filter((t): t is number => t !== null)
      .map((t) => t - this.#offsetMs);
    if (due.length === 0 || this.#closed) return;
    const delay = Math.max(0, Math.min(...due) - this.#o.clock()) + 1;
    const timer = setTimeout(() => void this.#resync('resync'), Math.min(delay, 2_147_000_000));
    timer.unref?.();
    this.#dueTimer = timer;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
