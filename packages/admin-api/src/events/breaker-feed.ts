import {
  type BreakerSnapshot,
  type BreakerStore,
  type BreakerTransition,
  type Disposable,
  isBreakerNotFoundError,
} from '@breakwater/breaker-core';
import type { FastifyBaseLogger } from 'fastify';

/** A transition as a stream sends it: what was published, and the breaker read right after. */
export interface LiveTransition {
  readonly transition: BreakerTransition;
  /** The breaker as read after the transition (and any that came with it); null when that read failed. */
  readonly snapshot: BreakerSnapshot | null;
}

/** One stream, as the feed sees it. */
export interface FeedListener {
  /** The one breaker it follows (`?name=`), or undefined for every breaker the feed lists. */
  readonly name: string | undefined;
  transition(event: LiveTransition): void;
  /** A breaker it had not been told about (newly listed), or one whose subscription was just (re)made. */
  snapshot(snapshot: BreakerSnapshot): void;
  /** The breaker is gone from the store's list (its keys expired). */
  removed(name: string): void;
}

export interface BreakerFeedOptions {
  readonly store: BreakerStore;
  /** Breakers followed for `every breaker` listeners: the first this many names, sorted (maxListedBreakers). */
  readonly maxBreakers: number;
  /** How often the list of breakers is read again while an every-breaker listener is attached, ms. */
  readonly registryScanMs: number;
  readonly log: FastifyBaseLogger;
}

/** How long an attach waits for a subscription to be in place before it goes on without (it keeps trying). */
export const SUBSCRIBE_WAIT_MS = 2_000;
/** A snapshot read that has not settled by then counts as failed: later events are not held up behind it. */
export const SNAPSHOT_READ_TIMEOUT_MS = 5_000;
/** Transitions waiting for their snapshot read at most; past it the oldest go out without one. */
export const MAX_QUEUED_TRANSITIONS = 10_000;

interface Watch {
  /** In the scanned list (every-breaker listeners follow it). */
  listed: boolean;
  /** `?name=` listeners following it. */
  refs: number;
  subscription: Disposable | undefined;
  subscribing: Promise<void> | undefined;
  /** An earlier subscribe failed: transitions may have been missed, so a snapshot follows the one that works. */
  failed: boolean;
}

interface Entry {
  readonly seq: number;
  readonly name: string;
  readonly kind: 'transition' | 'snapshot' | 'removed';
  readonly transition?: BreakerTransition;
  snapshot: BreakerSnapshot | null;
  done: boolean;
}

interface Read {
  inFlight: boolean;
  /** Something arrived while the read was in flight: read once more after it. */
  again: boolean;
  scheduled: boolean;
}

/**
 * What the event streams share: one subscription per breaker on the store
 * (`BreakerStore.subscribe`), whatever the number of streams, and one snapshot
 * read per breaker per burst of transitions (messages that arrive together, or
 * while a read is in flight, share the next read).
 *
 * Which breakers: those `?name=` streams ask for, and, while any stream follows
 * every breaker, the first `maxBreakers` names of `store.list()` (the registry),
 * read again every `registryScanMs` to pick up new breakers (each announced with
 * a snapshot) and drop vanished ones (`removed`). A failed subscription is
 * retried on the next scan. Nothing runs while no stream is attached.
 *
 * Transitions reach listeners in the order they were published (the order
 * messages arrive on the one subscriber connection), each once its snapshot
 * read has settled, so audit ids of the events a stream sends never go down.
 * Memory is bounded: one queue entry per transition waiting for a read (at
 * most {@link MAX_QUEUED_TRANSITIONS}), reads bounded by
 * {@link SNAPSHOT_READ_TIMEOUT_MS}.
 */
export class BreakerFeed {
  readonly #o: BreakerFeedOptions;
  readonly #listeners = new Set<FeedListener>();
  readonly #watches = new Map<string, Watch>();
  readonly #reads = new Map<string, Read>();
  #queue: Entry[] = [];
  #seq = 0;
  #listed: string[] = [];
  #truncated = false;
  /** The first scan after every-breaker listeners appeared; later attaches wait for it. */
  #firstScan: Promise<void> | undefined;
  #scanTimer: NodeJS.Timeout | undefined;
  #scanning = false;
  #closed = false;

  constructor(options: BreakerFeedOptions) {
    this.#o = options;
  }

  /**
   * Follows the listener's breakers and starts delivering to it. Resolves with
   * the names in its scope (sorted) once their subscriptions are in place (or
   * {@link SUBSCRIBE_WAIT_MS} has passed); rejects, attaching nothing, when the
   * store cannot list the breakers.
   */
  async attach(listener: FeedListener): Promise<{ names: string[]; truncated: boolean }> {
    this.#listeners.add(listener);
    try {
      if (listener.name !== undefined) {
        const watch = this.#watch(listener.name);
        watch.refs += 1;
        await this.#subscribed([listener.name]);
        return { names: [listener.name], truncated: false };
      }
      if (this.#firstScan === undefined) {
        this.#firstScan = this.#scan(true);
        this.#scanTimer = setInterval(() => void this.#scan(false), this.#o.registryScanMs);
        this.#scanTimer.unref?.();
      }
      await this.#firstScan;
      return { names: [...this.#listed], truncated: this.#truncated };
    } catch (err) {
      this.detach(listener);
      throw err;
    }
  }

  detach(listener: FeedListener): void {
    if (!this.#listeners.delete(listener)) return;
    if (listener.name !== undefined) {
      const watch = this.#watches.get(listener.name);
      if (watch) watch.refs = Math.max(0, watch.refs - 1);
      this.#release(listener.name);
    } else if (![...this.#listeners].some((l) => l.name === undefined)) {
      // No one follows every breaker: stop scanning and let go of what only the scan held.
      clearInterval(this.#scanTimer);
      this.#scanTimer = undefined;
      this.#firstScan = undefined;
      this.#listed = [];
      this.#truncated = false;
      for (const [name, watch] of this.#watches) {
        watch.listed = false;
        this.#release(name);
      }
    }
  }

  /** Stops everything; listeners are the streams' to end. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#scanTimer);
    for (const watch of this.#watches.values()) watch.subscription?.dispose();
    this.#watches.clear();
    this.#listeners.clear();
    this.#queue = [];
  }

  // ── which breakers ─────────────────────────────────────────────────────────

  #watch(name: string): Watch {
    let watch = this.#watches.get(name);
    if (!watch) {
      watch = { listed: false, refs: 0, subscription: undefined, subscribing: undefined, failed: false };
      this.#watches.set(name, watch);
    }
    return watch;
  }

  #release(name: string): void {
    const watch = this.#watches.get(name);
    if (!watch || watch.listed || watch.refs > 0) return;
    watch.subscription?.dispose();
    this.#watches.delete(name);
  }

  /** Subscribes where needed; waits up to SUBSCRIBE_WAIT_MS. A store error rejects (the attach fails). */
  async #subscribed(names: readonly string[]): Promise<void> {
    const pending = names.map((name) => this.#subscribe(name)).filter((p) => p !== undefined);
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS);
      timer.unref?.();
    });
    try {
      await Promise.race([Promise.all(pending), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  #subscribe(name: string): Promise<void> | undefined {
    const watch = this.#watches.get(name);
    if (!watch || watch.subscription) return undefined;
    watch.subscribing ??= this.#o.store
      .subscribe(name, (t) => this.#heard(name, t))
      .then((subscription) => {
        watch.subscribing = undefined;
        if (this.#watches.get(name) !== watch || this.#closed) {
          subscription.dispose();
          return;
        }
        watch.subscription = subscription;
        if (watch.failed) {
          watch.failed = false;
          this.#enqueue(name, 'snapshot');
        }
      })
      .catch((err: unknown) => {
        watch.subscribing = undefined;
        watch.failed = true;
        this.#o.log.warn({ err, breaker: name }, 'event stream: could not subscribe; retrying on the next scan');
        throw err;
      });
    return watch.subscribing;
  }

  /** Reads the list of breakers; the first scan's failure rejects the attach that started it. */
  async #scan(first: boolean): Promise<void> {
    if (this.#scanning || this.#closed) return;
    this.#scanning = true;
    try {
      let all: string[];
      try {
        all = await this.#o.store.list();
      } catch (err) {
        if (first) throw err;
        this.#o.log.warn({ err }, 'event stream: could not list the breakers; trying again on the next scan');
        return;
      }
      if (this.#closed || (!first && this.#firstScan === undefined)) return;
      const listed = all.slice(0, this.#o.maxBreakers);
      const before = new Set(this.#listed);
      const now = new Set(listed);
      this.#listed = listed;
      this.#truncated = all.length > listed.length;
      for (const name of listed) {
        this.#watch(name).listed = true;
        if (!first && !before.has(name)) this.#enqueue(name, 'snapshot');
      }
      for (const name of before) {
        if (now.has(name)) continue;
        const watch = this.#watches.get(name);
        if (watch) watch.listed = false;
        this.#release(name);
        this.#enqueue(name, 'removed');
      }
      // New names, and any whose subscription failed before.
      const subscribing = this.#subscribed([...this.#watches.keys()]);
      if (first) await subscribing;
      else await subscribing.catch(() => {});
    } finally {
      this.#scanning = false;
    }
  }

  // ── transitions, in publish order ──────────────────────────────────────────

  #heard(name: string, transition: BreakerTransition): void {
    if (this.#closed || !this.#watches.has(name)) return;
    this.#enqueue(name, 'transition', transition);
  }

  #enqueue(name: string, kind: Entry['kind'], transition?: BreakerTransition): void {
    this.#seq += 1;
    const entry: Entry = { seq: this.#seq, name, kind, snapshot: null, done: kind === 'removed' };
    this.#queue.push(transition ? { ...entry, transition } : entry);
    if (this.#queue.length > MAX_QUEUED_TRANSITIONS) {
      // Reads are stuck: let the oldest go without a snapshot rather than hold memory.
      for (const e of this.#queue.slice(0, this.#queue.length - MAX_QUEUED_TRANSITIONS)) e.done = true;
    }
    if (kind !== 'removed') this.#requestRead(name);
    this.#drain();
  }

  /**
   * Reads the breaker once for everything queued for it so far. Messages that
   * arrive in the same tick share the read (it starts on a microtask); those
   * arriving while it is in flight share the next one.
   */
  #requestRead(name: string): void {
    let read = this.#reads.get(name);
    if (!read) {
      read = { inFlight: false, again: false, scheduled: false };
      this.#reads.set(name, read);
    }
    if (read.inFlight) {
      read.again = true;
      return;
    }
    if (read.scheduled) return;
    read.scheduled = true;
    queueMicrotask(() => void this.#read(name));
  }

  async #read(name: string): Promise<void> {
    const read = this.#reads.get(name);
    if (!read || this.#closed) return;
    read.scheduled = false;
    read.inFlight = true;
    const upTo = this.#seq;
    let snapshot: BreakerSnapshot | null = null;
    try {
      snapshot = await withTimeout(this.#o.store.snapshot(name), SNAPSHOT_READ_TIMEOUT_MS);
    } catch (err) {
      if (!isBreakerNotFoundError(err)) {
        this.#o.log.warn({ err, breaker: name }, 'event stream: snapshot read failed; sending the transition without');
      }
    }
    read.inFlight = false;
    for (const e of this.#queue) {
      if (e.name === name && !e.done && e.seq <= upTo) {
        e.snapshot = snapshot;
        e.done = true;
      }
    }
    this.#drain();
    if (read.again) {
      read.again = false;
      this.#requestRead(name);
    } else {
      this.#reads.delete(name);
    }
  }

  #drain(): void {
    while (this.#queue[0]?.done) {
      const e = this.#queue.shift() as Entry;
      for (const listener of this.#listeners) {
        if (!this.#follows(listener, e)) continue;
        if (e.kind === 'transition' && e.transition) {
          listener.transition({ transition: e.transition, snapshot: e.snapshot });
        } else if (e.kind === 'snapshot' && e.snapshot) {
          listener.snapshot(e.snapshot);
        } else if (e.kind === 'removed') {
          listener.removed(e.name);
        }
      }
    }
  }

  #follows(listener: FeedListener, e: Entry): boolean {
    if (listener.name !== undefined) return listener.name === e.name;
    // A removed breaker is no longer listed, and every-breaker listeners are the ones to tell.
    return e.kind === 'removed' || this.#watches.get(e.name)?.listed === true;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
