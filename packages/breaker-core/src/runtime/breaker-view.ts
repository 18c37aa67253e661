import type { Clock } from '../clock.js';
import type { BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import type { StateChangeEvent, ViewSource } from './breaker-events.js';
import { patchView } from './view-patch.js';

/** What the pod knows, as the FailoverStore restores its local breaker from it. */
export interface PodKnowledge {
  /** The latest snapshot with the transitions heard since applied. */
  readonly known: BreakerSnapshot;
  /** Store clock minus pod clock, ms, from the latest shared reply. */
  readonly offsetMs: number;
}

/** Re-reads the state and applies what the store says (the ClusterBreaker's); never rejects. */
export type Refresh = (cause: StateChangeEvent['cause']) => Promise<void>;

/**
 * A store call in flight, as the view sees it ({@link BreakerView.send}): the
 * newest generation the view took or heard since the call was sent, so that its
 * reply can be told from news the pod already has.
 */
export interface SentCall {
  /** Incarnation of what was heard since the call was sent (meaningful once `heardGeneration` ≥ 0). */
  heardLife: string | undefined;
  /** The newest generation of `heardLife` taken or heard since; -1 while nothing was. */
  heardGeneration: number;
}

/**
 * The pod's view of the breaker, and when it is re-read: bookkeeping, no I/O.
 * It takes what the ClusterBreaker gives it (a snapshot from a reply, a
 * transition heard on pub/sub), and runs the ClusterBreaker's {@link Refresh}
 * one at a time: periodically (bounding the view's age), when the cooldown or
 * an override ends on the store's clock (so the fleet half-opens on time), and
 * when asked. Only the ClusterBreaker calls {@link take} and {@link hear};
 * the FailoverStore reads it as {@link PodKnowledge}.
 *
 * No guard stays stuck: the periodic tick starts a re-read whenever none runs,
 * and abandons one that has run longer than its deadline (its store calls are
 * each under the command deadline, so only a bug or a store that loses promises
 * can hold one) and starts another; what the abandoned one brings back later
 * is still offered to {@link take}, under the same rules as any late reply.
 */
export class BreakerView implements PodKnowledge {
  /** The latest full snapshot. */
  #view: BreakerSnapshot;
  /**
   * The latest snapshot with the transitions heard since applied: what the due
   * timer, the early-flush rule, probes and a fallback work from, so a fallback
   * that starts before the resync answers cannot undo a transition.
   */
  #known: BreakerSnapshot;
  #generation: number;
  #offsetMs = 0;
  /** Pod clock when the shared store last confirmed the view (see {@link viewAge}). */
  #confirmedAt: number;
  #resyncTimer: NodeJS.Timeout | undefined;
  #dueTimer: NodeJS.Timeout | undefined;
  /** The refresh running now; a request meanwhile runs once after it. */
  #refreshing: Promise<void> | undefined;
  /** Pod clock when {@link #refreshing} started. */
  #refreshStartedAt = 0;
  /** How long a refresh may run before the periodic tick abandons it. */
  #refreshDeadlineMs = Number.POSITIVE_INFINITY;
  #refreshAgain = false;
  /**
   * A transition was heard while a re-read ran: one more re-read after it, unless
   * that one's reply already covered every transition heard ({@link refreshHeard}).
   */
  #refreshIfBehind = false;
  #stopped = false;
  /** Store calls in flight whose replies will be offered to {@link take}. */
  readonly #inFlight = new Set<SentCall>();
  readonly #clock: Clock;
  readonly #refresh: Refresh;

  constructor(initial: BreakerSnapshot, source: ViewSource, clock: Clock, refresh: Refresh) {
    this.#clock = clock;
    this.#refresh = refresh;
    this.#view = initial;
    this.#known = initial;
    this.#generation = initial.generation;
    // A pod that starts on its fallback has never had it confirmed: its age counts from start.
    this.#confirmedAt = clock();
    if (source === 'shared') this.#offsetMs = initial.at - this.#confirmedAt;
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

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /**
   * Ms (pod clock) since the shared store last confirmed the view: a shared reply
   * taken, or dropped because the pod had heard newer since its call was sent.
   * Replies of the local fallback do not count: on the fallback it keeps growing.
   */
  get viewAge(): number {
    return Math.max(0, this.#clock() - this.#confirmedAt);
  }

  /** Whether the cooldown is over on the store's clock (a probe may be asked for before the view says half_open). */
  get cooldownOver(): boolean {
    const until = this.#known.cooldownUntil;
    return until !== null && until - this.#offsetMs <= this.#clock();
  }

  /**
   * Whether the view shows a probe lease held by a pod other than `podId` that has
   * not expired on the store's clock. A heard transition clears it (every transition
   * fences the lease); a release without one comes with the next re-read.
   */
  leasedElsewhere(podId: string): boolean {
    const probe = this.#known.probe;
    return probe !== null && probe.holder !== podId && probe.expiresAt - this.#offsetMs > this.#clock();
  }

  /** Settles when the refresh running now has been applied; undefined when none runs. */
  get refreshing(): Promise<void> | undefined {
    return this.#refreshing;
  }

  /**
   * Starts the periodic re-read (every `resyncIntervalMs`; a re-read running
   * longer than `refreshDeadlineMs` is abandoned then) and the due timer.
   */
  start(resyncIntervalMs: number, refreshDeadlineMs: number): void {
    this.#refreshDeadlineMs = refreshDeadlineMs;
    const resync = setInterval(this.#onTick, resyncIntervalMs);
    resync.unref?.();
    this.#resyncTimer = resync;
    this.#scheduleDue();
  }

  /** Re-reads the state now, or once the re-read running now is over. */
  refresh(cause: StateChangeEvent['cause']): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    const running: Promise<void> = this.#refresh(cause).finally(() => {
      if (this.#refreshing !== running) return; // abandoned: another one runs, or ran
      this.#refreshing = undefined;
      // A re-read for heard transitions only is redundant once the full snapshot is as new
      // as what was heard: `known` is the snapshot taken, no transition patched on since.
      const again = this.#refreshAgain || (this.#refreshIfBehind && this.#known !== this.#view);
      this.#refreshAgain = false;
      this.#refreshIfBehind = false;
      if (again) void this.refresh(cause);
    });
    this.#refreshing = running;
    this.#refreshStartedAt = this.#clock();
    return running;
  }

  /**
   * Re-reads the full snapshot after a heard transition ({@link hear}): now if no
   * re-read runs; if one runs, once after it only if its reply did not bring a
   * snapshot at least as new as every transition heard. (Across a fleet every pod
   * re-reads when the cooldown ends and hears the half_open another pod's re-read
   * published while its own is in flight: that second re-read would read the
   * same snapshot again.) The periodic re-read, which bounds the view's age, is
   * not affected.
   */
  refreshHeard(cause: StateChangeEvent['cause']): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#refreshing) {
      this.#refreshIfBehind = true;
      return this.#refreshing;
    }
    return this.refresh(cause);
  }

  /** No timer runs or is armed, and no refresh starts, after this. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#resyncTimer);
    clearTimeout(this.#dueTimer);
  }

  /** A store call is about to be sent; its reply is offered to {@link take} with it, then {@link done}. */
  send(): SentCall {
    const call: SentCall = { heardLife: undefined, heardGeneration: -1 };
    this.#inFlight.add(call);
    return call;
  }

  /** The call has settled (its reply, if any, was offered to {@link take}). */
  done(call: SentCall): void {
    this.#inFlight.delete(call);
  }

  /**
   * Takes a snapshot `source` replied with to `call`; false (and nothing
   * changes) when, after that call was sent, the pod took or heard a newer
   * generation of the same incarnation than the snapshot's (or anything of
   * another incarnation): the reply is older news. Otherwise the store's word
   * stands, even a generation below the view's: a store that went back (Redis
   * restarted from an older RDB, a failover to a replica that was behind) is
   * followed, not ignored for good. `call` null: a state the pod must adopt
   * whatever it holds (a fallback, a rejoin, a breaker the store re-created).
   */
  take(snap: BreakerSnapshot, source: ViewSource, call: SentCall | null): boolean {
    const now = this.#clock();
    // Either way the shared store answered, and the pod knows at least what it said.
    if (source === 'shared') this.#confirmedAt = now;
    if (call && isOlderThanHeard(snap, call)) return false;
    this.#view = snap;
    this.#known = snap;
    this.#generation = snap.generation;
    this.#offsetMs = source === 'shared' ? snap.at - now : 0;
    this.#heard(snap.incarnation, snap.generation);
    this.#scheduleDue();
    return true;
  }

  /**
   * A transition heard on pub/sub: newer generations only, or any generation of
   * another incarnation (a re-created breaker starts again at 0; a message that
   * does not say is taken to be of the pod's). Returns what the pod now knows, or
   * null when the transition is not news. The full snapshot follows on the
   * resync the caller starts.
   */
  hear(t: BreakerTransition): BreakerSnapshot | null {
    const sameLife = t.incarnation === undefined || t.incarnation === this.#known.incarnation;
    if (sameLife && t.generation <= this.#generation) return null;
    this.#known = patchView(this.#known, t);
    this.#generation = t.generation;
    this.#heard(this.#known.incarnation, t.generation);
    this.#scheduleDue();
    return this.#known;
  }

  /** What the view now holds, for the calls in flight: their replies are compared with it. */
  #heard(life: string | undefined, generation: number): void {
    for (const call of this.#inFlight) {
      if (call.heardGeneration < 0 || call.heardLife !== life) {
        call.heardLife = life;
        call.heardGeneration = generation;
      } else if (generation > call.heardGeneration) call.heardGeneration = generation;
    }
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
    if (due.length === 0 || this.#stopped) return;
    const delay = Math.max(0, Math.min(...due) - this.#clock()) + 1;
    const timer = setTimeout(this.#onDue, Math.min(delay, 2_147_000_000));
    timer.unref?.();
    this.#dueTimer = timer;
  }

  readonly #onDue = (): void => {
    void this.refresh('resync');
  };

  /** The periodic re-read; the watchdog of a re-read that never ends. */
  readonly #onTick = (): void => {
    if (this.#refreshing && this.#clock() - this.#refreshStartedAt >= this.#refreshDeadlineMs) {
      this.#refreshing = undefined;
      this.#refreshAgain = false;
      this.#refreshIfBehind = false;
    }
    void this.refresh('resync');
  };
}

/** Whether the pod took or heard something newer than `snap` after `call` was sent. */
function isOlderThanHeard(snap: BreakerSnapshot, call: SentCall): boolean {
  if (call.heardGeneration < 0) return false;
  return call.heardLife !== snap.incarnation || snap.generation < call.heardGeneration;
}
