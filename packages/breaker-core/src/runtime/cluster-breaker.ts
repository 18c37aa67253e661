import { BreakerOpenError } from '../errors/breaker-open-error.js';
import { BreakerMetrics, STATE_VALUES } from '../metrics.js';
import {
  admitsCalls,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
} from '../state/breaker-state.js';
import type { ProbeLease, ProbeOutcome } from '../state/probe-lease.js';
import { BreakerEventSource } from './breaker-event-source.js';
import type { StateChangeEvent, ViewSource } from './breaker-events.js';
import { BreakerView, type SentCall } from './breaker-view.js';
import type { BreakwaterLogger } from './breakwater-logger.js';
import { type ClusterBreakerParts, CONSTRUCT, START } from './cluster-breaker-parts.js';
import { pendingCommands } from './fail-fast-client.js';
import { FailoverStore, type StoreResult } from './failover-store.js';
import type { ResolvedClusterBreakerOptions } from './options.js';
import { OutcomeBatcher } from './outcome-batcher.js';
import { OwnProbeLease } from './own-probe-lease.js';
import { RepeatLog } from './repeat-log.js';
import { causeOfChange } from './reply-cause.js';
import { TransitionFeed } from './transition-feed.js';
import { resyncDeadlineMs } from './view-age-bound.js';

const CLUSTER_BREAKER = Symbol.for('breakwater.cluster-breaker');

/** True for a ClusterBreaker, from this copy of the package or another. */
export function isClusterBreaker(value: unknown): value is ClusterBreaker {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CLUSTER_BREAKER] === true;
}

type Cause = StateChangeEvent['cause'];

/**
 * One pod's handle on a breaker shared by the fleet.
 *
 * The hot path (`allow()`, `state`) reads fields of this object only;
 * `recordSuccess()`/`recordFailure()` count in the OutcomeBatcher, which sends
 * one store call per flush interval (or at once when this pod's outcomes alone
 * could trip the breaker). Everything that reaches a store goes through the
 * FailoverStore (shared under a deadline, or the local fallback), whose
 * replies come back tagged with the store that gave them; this class alone
 * applies them to its BreakerView and, when the state changes, to the hot path.
 * The view is also refreshed by pub/sub transitions (TransitionFeed), a
 * periodic resync and a timer for the end of the cooldown.
 */
export class ClusterBreaker extends BreakerEventSource {
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

  readonly #options: ResolvedClusterBreakerOptions;
  readonly #parts: ClusterBreakerParts;
  readonly #log: BreakwaterLogger;
  /** Storm-quiet logging: events that repeat are logged once, then summarised. */
  readonly #repeatLog: RepeatLog;
  readonly #metrics: BreakerMetrics | undefined;
  readonly #view: BreakerView;
  readonly #store: FailoverStore;
  readonly #feed: TransitionFeed;
  readonly #batcher: OutcomeBatcher;
  readonly #ownLease: OwnProbeLease;
  #untrack: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  /** Not for users: createClusterBreaker() makes and starts a ClusterBreaker. */
  constructor(key: typeof CONSTRUCT, parts: ClusterBreakerParts) {
    if (key !== CONSTRUCT) throw new TypeError('use createClusterBreaker() to make a ClusterBreaker');
    const o = parts.options;
    const log = o.logger.child({ breaker: o.name, podId: o.podId });
    super((err) => log.error({ err }, 'breaker event listener threw'));
    const initial = parts.initial;
    this.#options = o;
    this.#parts = parts;
    this.name = o.name;
    this.podId = o.podId;
    this.#log = log;
    this.#repeatLog = RepeatLog.for(log);
    const metrics = o.registry ? BreakerMetrics.for(o.registry) : undefined;
    this.#metrics = metrics;

    this.#state = initial.state;
    this.#admits = admitsCalls(initial.state);
    this.#shadow = initial.mode === 'shadow';
    const common = { name: o.name, podId: o.podId, clock: o.clock, repeatLog: this.#repeatLog, metrics };
    const signals = this.signals;
    // In dependency order: each part is given only parts made before it, and this object's own callbacks.
    this.#view = new BreakerView(initial, parts.source, o.clock, this.#refresh);
    this.#store = new FailoverStore({ ...common, ...parts, config: o.config, knows: this.#view, log, signals });
    this.#feed = new TransitionFeed({
      ...common,
      source: this.#store,
      subscriber: parts.subscriber,
      client: parts.client,
      onTransition: this.#hear,
      resync: () => this.#view.refresh('resync'),
    });
    this.#batcher = new OutcomeBatcher(o.flushIntervalMs, o.clock, this.#sendOutcomes, tripRules(initial));
    this.#ownLease = new OwnProbeLease({ ...common, signals });

    metrics?.state.set({ breaker: this.name }, STATE_VALUES[initial.state]);
    if (metrics) {
      this.#untrack = [
        metrics.trackViewAge(() => ({ breaker: this.name, seconds: this.#view.viewAge / 1_000 })),
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
    return this.#view.generation;
  }

  /**
   * The latest full snapshot (do not mutate). After a pub/sub transition,
   * `state` and `generation` move at once and this catches up on the resync
   * that follows, milliseconds later.
   */
  get snapshot(): BreakerSnapshot {
    return this.#view.view;
  }

  /** `shared` while following Redis, `local` while on the fallback. */
  get source(): ViewSource {
    return this.#store.source;
  }

  /**
   * Ms (pod clock) since the shared store last confirmed this pod's view (a
   * shared reply, a rejoin), whatever the pod did since: replies of its local
   * fallback do not count, so on the fallback it keeps growing. While the pod's
   * Redis connection answers it stays under `resyncIntervalMs + 2 × commandTimeoutMs`
   * (README, "How fresh a pod's view is"). `breakwater_breaker_view_age_seconds`.
   */
  get viewAge(): number {
    return this.#view.viewAge;
  }

  /**
   * @deprecated Use {@link viewAge}, which it now returns. It used to be the age of the
   * view from either store, so a pod on its fallback looked fresh after every local resync.
   */
  get staleness(): number {
    return this.#view.viewAge;
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
      source: this.#store.source,
      pending: this.#batcher.pending,
      redisPendingCommands: client ? pendingCommands(client) : 0,
      subscriberPendingCommands: subscriber ? pendingCommands(subscriber) : 0,
      configDrift: this.#store.configDrift,
    };
  }

  // ── probes ──────────────────────────────────────────────────────────────

  /**
   * The one cluster-wide probe lease, when half-open (or the cooldown has just
   * ended on the store's clock); otherwise null. Never rejects.
   *
   * One probe per pod, too: null while this pod's own acquireProbe() is in
   * flight, and while this pod holds a lease it was granted that is neither
   * reported (reportProbe() has settled for it) nor expired (`expiresAt`), even
   * if a transition has fenced it since. So two sessions of one pod never both
   * hold the lease; a lease dropped without a report blocks this pod until it
   * expires, as it blocks every other pod.
   *
   * And null, without asking the store, while the view shows another pod's
   * lease that has not expired (on the store's clock): the store would refuse.
   * Every transition fences the lease and clears it from the view, and the
   * periodic resync brings the holder's release, so this only spares the
   * degraded sessions' asks that could not succeed.
   */
  async acquireProbe(): Promise<ProbeLease | null> {
    const state = this.#state;
    if (this.#closed || !this.#ownLease.free) return null;
    if (state !== 'half_open' && !(state === 'open' && this.#view.cooldownOver)) return null;
    if (this.#view.leasedElsewhere(this.podId)) return null;
    this.#ownLease.asking = true;
    const call = this.#view.send();
    try {
      const result = await this.#store.acquireProbe();
      this.#take(result, call);
      if (!result.answer) return null;
      const { reply, source } = result.answer;
      if (!reply.granted) {
        this.#ownLease.refused();
        return null;
      }
      this.#ownLease.granted(reply.lease, source, reply.snapshot.at - this.#options.clock());
      return reply.lease;
    } catch {
      return null; // the local breaker failed too: no lease
    } finally {
      this.#view.done(call);
      this.#ownLease.asking = false;
    }
  }

  /**
   * Reports the probe's result to the store that granted the lease; true if it
   * accepted it (a stale or expired lease is refused). Never rejects. Either way
   * this pod may ask for a lease again once it settles.
   */
  async reportProbe(lease: ProbeLease, outcome: ProbeOutcome): Promise<boolean> {
    if (this.#closed) return false;
    let accepted = false;
    const call = this.#view.send();
    try {
      const result = await this.#store.reportProbe(lease, outcome);
      this.#take(result, call);
      accepted = result.answer?.reply.accepted ?? false;
    } catch {
      // the local breaker failed: not accepted
    } finally {
      this.#view.done(call);
    }
    this.#ownLease.reported(lease, outcome, accepted);
    return accepted;
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /** Starts timers and the subscription (createClusterBreaker() calls it once). */
  async [START](): Promise<void> {
    this.#view.start(this.#options.resyncIntervalMs, resyncDeadlineMs(this.#options));
    // After a reconnect messages may have been missed: resync. On the fallback this is
    // also the cue to rejoin. (The subscriber's reconnects are the TransitionFeed's.)
    this.#parts.client?.on('ready', this.#onClientReady);
    // Wait for the subscription while Redis answers; never hang start-up on a Redis that does not.
    await Promise.race([this.#feed.start(), delay(this.#options.startTimeoutMs)]);
  }

  /** Stops timers, sends what is still counted (bounded by the command timeout), closes connections. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const parts = this.#parts;
    this.#view.stop();
    parts.client?.off('ready', this.#onClientReady);
    this.#feed.close();
    await this.#batcher.drain();
    this.#closed = true;
    await this.#store.close();
    for (const client of parts.owned) client.disconnect();
    this.#reportRejections();
    for (const untrack of this.#untrack) untrack();
    this.#metrics?.forget(this.name);
    this.signals.clear();
  }

  // ── the one place replies reach the view ────────────────────────────────

  /**
   * Applies a snapshot from `source` in reply to `call`, unless it is a late reply
   * from the other store or older than what the pod heard since `call` was sent
   * (see BreakerView.take); `call` null: a state to adopt whatever the view holds.
   */
  #apply(snap: BreakerSnapshot, source: ViewSource, cause: Cause, call: SentCall | null): void {
    if (this.#closed || source !== this.#store.source) return;
    if (this.#view.take(snap, source, call)) this.#follow(snap, cause, source);
  }

  /**
   * What a FailoverStore call (`call`) came back with: the fallback state first (if
   * the call fell back), then the reply, by default with the cause its change
   * shows; `adopt` when the reply is a state to adopt (a rejoin, a re-created breaker).
   */
  #take<T extends { readonly snapshot: BreakerSnapshot }>(
    { answer, fellBack }: StoreResult<T>,
    call: SentCall | null,
    cause?: Cause,
    adopt = false,
  ): void {
    if (fellBack) this.#apply(fellBack, 'local', 'fallback', null);
    if (!answer) return;
    const snap = answer.reply.snapshot;
    this.#apply(snap, answer.source, cause ?? causeOfChange(this.#view.known, snap), adopt ? null : call);
  }

  /** The OutcomeBatcher's `send`: one batch through the FailoverStore; never rejects. */
  readonly #sendOutcomes = async (failures: number, successes: number): Promise<void> => {
    // A rejoin in flight has read the local window: these go where it leaves the pod, once it is applied.
    if (this.#store.rejoining) await this.#view.refreshing; // never rejects
    const call = this.#view.send();
    try {
      const result = await this.#store.record({ failures, successes });
      const reply = result.answer?.reply;
      this.#take(result, call, reply?.transitions.at(-1)?.action ?? 'resync', reply?.created);
    } catch (err) {
      this.#repeatLog.warn('flush', this.podId, { err }, 'could not record outcomes');
    } finally {
      this.#view.done(call);
    }
  };

  /**
   * A transition from pub/sub: news (see BreakerView.hear) is acted on at once, then
   * the full snapshot is read. On the fallback the pod follows its local breaker,
   * but a message means the shared store is there: the cue to rejoin (a rejoin in
   * flight resyncs once it is over, see #rejoin).
   */
  readonly #hear = (t: BreakerTransition): void => {
    if (this.#closed) return;
    if (this.#store.source !== 'shared') {
      void this.#view.refresh('resync');
      return;
    }
    const known = this.#view.hear(t);
    if (!known) return;
    this.#follow(known, t.action, 'shared');
    void this.#view.refreshHeard(t.action);
  };

  /** After a reconnect messages may have been missed: resync (on the fallback, the cue to rejoin). */
  readonly #onClientReady = (): void => {
    void this.#view.refresh('resync');
  };

  /** The view's re-read (one at a time, see BreakerView): from the store the pod follows; on the fallback, then a rejoin. */
  readonly #refresh = async (cause: Cause): Promise<void> => {
    const call = this.#view.send();
    try {
      const result = await this.#store.refresh();
      const shared = result.answer?.source === 'shared';
      this.#take(result, call, shared && !result.recreated ? cause : 'resync', result.recreated);
      if (!result.answer) return;
      // The store answers: whatever failed may work now, e.g. the subscription.
      if (shared) this.#feed.retry();
      else await this.#rejoin();
    } catch (err) {
      this.#repeatLog.warn('resync', this.podId, { err }, 'resync failed');
    } finally {
      this.#view.done(call);
    }
  };

  /**
   * On the fallback: back to the shared store if it answers, adopting its state
   * before saying so, then a resync at once: the replay's reply is the state when
   * it ran, and what was published while it was in flight reached a pod that was
   * still on its fallback (or not at all, if its subscription is not back).
   */
  async #rejoin(): Promise<void> {
    const rejoined = await this.#store.rejoin();
    if (!rejoined) return;
    this.#take(rejoined, null, 'rejoin', true);
    this.signals.storeRecovered.emit(rejoined.recovered);
    void this.#view.refresh('resync'); // runs once this refresh is over
  }

  /** What the pod knows changed: the hot path follows; if the state changed, metrics, one log line, one event. */
  #follow(known: BreakerSnapshot, cause: Cause, source: ViewSource): void {
    this.#shadow = known.mode === 'shadow';
    this.#batcher.tripRules = tripRules(known);
    const from = this.#state;
    const to = known.state;
    if (from === to) return;
    const generation = known.generation;
    this.#state = to;
    this.#admits = admitsCalls(to);
    this.#metrics?.state.set({ breaker: this.name }, STATE_VALUES[to]);
    this.#metrics?.transitions.inc({ breaker: this.name, from, to });
    this.#log.info({ from, to, generation, cause, source }, `breaker ${from} -> ${to}`);
    this.signals.stateChange.emit({ from, to, generation, cause, source });
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
