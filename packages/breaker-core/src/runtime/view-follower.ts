import type { Clock } from '../clock.js';
import type { BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { StateChangeEvent, ViewSource } from './breaker-events.js';
import type { BreakwaterLogger } from './breakwater-logger.js';
import type { RepeatLog } from './repeat-log.js';
import { storeErrorKind } from './store-error-kind.js';
import type { StoreFailover } from './store-failover.js';
import { patchView } from './view-patch.js';

type Cause = StateChangeEvent['cause'];

export interface ViewFollowerParts {
  readonly name: string;
  readonly podId: string;
  readonly clock: Clock;
  readonly resyncIntervalMs: number;
  readonly failover: StoreFailover;
  readonly local: MemoryBreakerStore;
  readonly log: BreakwaterLogger;
  readonly storm: RepeatLog;
  readonly initial: BreakerSnapshot;
  /** What the pod knows changed (a snapshot applied, or a transition heard): update the hot path. */
  readonly onKnown: (known: BreakerSnapshot, cause: Cause, source: ViewSource) => void;
  /** The shared store answered a resync (a cue to retry anything that failed, e.g. the subscription). */
  readonly onSharedAnswer: () => void;
}

/**
 * The pod's view of the breaker and how it is kept fresh: every reply is
 * applied (newer generations only, unless authoritative), pub/sub transitions
 * are heard at once (view-patch.ts) and followed by a resync, a periodic
 * resync bounds staleness, and a timer wakes the pod when the cooldown or an
 * override ends on the store's clock (tracked as an offset from the pod's).
 * On the fallback the resync reads the local breaker and tries to rejoin.
 */
export class ViewFollower {
  /** The latest full snapshot. */
  #view: BreakerSnapshot;
  /**
   * The latest snapshot with the transitions heard since applied: what the due
   * timer, the early-flush rule, probes and a fallback work from, so a fallback
   * that starts before the resync answers cannot undo a transition.
   */
  #known: BreakerSnapshot;
  #generation: number;
  /** Store clock minus pod clock, from the latest shared reply. */
  #offsetMs = 0;
  #refreshedAt: number;
  #resyncTimer: NodeJS.Timeout | undefined;
  #dueTimer: NodeJS.Timeout | undefined;
  #resyncing = false;
  #resyncAgain = false;
  #closed = false;
  readonly #p: ViewFollowerParts;

  constructor(parts: ViewFollowerParts) {
    this.#p = parts;
    const initial = parts.initial;
    this.#view = initial;
    this.#known = initial;
    this.#generation = initial.generation;
    this.#refreshedAt = parts.clock();
    if (parts.failover.source === 'shared') this.#offsetMs = initial.at - this.#refreshedAt;
  }

  get view(): BreakerSnapshot {
    return this.#view;
  }

  get known(): BreakerSnapshot {
    return this.#known;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Age of the view, ms (pod clock). */
  get staleness(): number {
    return Math.max(0, this.#p.clock() - this.#refreshedAt);
  }

  /** Whether the cooldown is over on the store's clock (a probe may be asked for before the view says half_open). */
  get cooldownOver(): boolean {
    const until = this.#known.cooldownUntil;
    return until !== null && until - this.#offsetMs <= this.#p.clock();
  }

  start(): void {
    const resync = setInterval(() => void this.resync('resync'), this.#p.resyncIntervalMs);
    resync.unref?.();
    this.#resyncTimer = resync;
    this.#scheduleDue();
  }

  stopTimers(): void {
    clearInterval(this.#resyncTimer);
    clearTimeout(this.#dueTimer);
  }

  /** No more applies, resyncs or timers. */
  close(): void {
    this.stopTimers();
    this.#closed = true;
  }

  /** Applies a snapshot from `source`, unless it is a late reply from the other store or older than the view. */
  apply(snap: BreakerSnapshot, source: ViewSource, cause: Cause, { authoritative = false } = {}): void {
    if (this.#closed || source !== this.#p.failover.source) return;
    if (!authoritative && snap.generation < this.#generation) return;
    const now = this.#p.clock();
    this.#view = snap;
    this.#known = snap;
    this.#generation = snap.generation;
    this.#refreshedAt = now;
    this.#offsetMs = source === 'shared' ? snap.at - now : 0;
    this.#scheduleDue();
    this.#p.onKnown(snap, cause, source);
  }

  /** A transition from pub/sub: newer generations only, acted on at once, then the full snapshot is read. */
  readonly hear = (t: BreakerTransition): void => {
    if (this.#closed || this.#p.failover.source !== 'shared' || t.generation <= this.#generation) return;
    const known = patchView(this.#known, t);
    this.#known = known;
    this.#generation = t.generation;
    this.#scheduleDue();
    this.#p.onKnown(known, t.action, 'shared');
    void this.resync(t.action);
  };

  /**
   * Moves the pod to its local breaker after a failed shared call, restored
   * from what it knows; false (and nothing changes) if the error is a bug.
   */
  degrade(err: unknown): boolean {
    if (!this.#p.failover.degrade(err, this.#known, this.#offsetMs)) return false;
    this.#p.local.snapshot(this.#p.name).then(
      (snap) => this.apply(snap, 'local', 'fallback', { authoritative: true }),
      (again: unknown) => this.#p.log.error({ err: again }, 'local breaker could not be read after the fallback'),
    );
    return true;
  }

  /** Re-reads the state; one at a time (a request during one runs once after it). Never rejects. */
  async resync(cause: Cause): Promise<void> {
    if (this.#closed) return;
    if (this.#resyncing) {
      this.#resyncAgain = true;
      return;
    }
    this.#resyncing = true;
    try {
      if (this.#p.failover.source === 'shared') await this.#resyncShared(cause);
      else await this.#resyncLocal();
    } catch (err) {
      this.#p.storm.warn('resync', this.#p.podId, { err }, 'resync failed');
    } finally {
      this.#resyncing = false;
      if (this.#resyncAgain && !this.#closed) {
        this.#resyncAgain = false;
        void this.resync(cause);
      }
    }
  }

  async #resyncShared(cause: Cause): Promise<void> {
    const { failover, name } = this.#p;
    try {
      this.apply(await failover.call('snapshot', (s) => s.snapshot(name)), 'shared', cause);
      this.#p.onSharedAnswer();
    } catch (err) {
      if (storeErrorKind(err) !== 'not_found') {
        this.degrade(err);
        return;
      }
      // Redis lost the breaker (restart without persistence): create it again from our config.
      try {
        const reply = await failover.register();
        this.apply(reply.snapshot, 'shared', 'resync', { authoritative: true });
      } catch (again) {
        this.degrade(again);
      }
    }
  }

  async #resyncLocal(): Promise<void> {
    const { failover, local, name } = this.#p;
    if (!failover.sharedReachable) {
      this.apply(await local.snapshot(name), 'local', 'resync');
      return; // a shared call would fail at once; the connection's 'ready' resyncs
    }
    await failover.rejoin(
      async () => {
        const snapshot = await local.snapshot(name);
        this.apply(snapshot, 'local', 'resync');
        return { failures: snapshot.window.failures, successes: snapshot.window.successes };
      },
      (snap) => this.apply(snap, 'shared', 'rejoin', { authoritative: true }),
    );
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
    const delay = Math.max(0, Math.min(...due) - this.#p.clock()) + 1;
    const timer = setTimeout(() => void this.resync('resync'), Math.min(delay, 2_147_000_000));
    timer.unref?.();
    this.#dueTimer = timer;
  }
}
