import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { ConversationResult } from '../protocol/decode.js';
import { type ConversationRequest, encodeProcessConversation } from '../protocol/encode.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';
import type { ConversationFallback } from './conversation-fallback.js';
import type { ConversationOutcome, FallbackReason } from './conversation-outcome.js';

type EntryState = 'queued' | 'sent' | 'fallback' | 'ended';

interface Entry {
  readonly id: string;
  readonly request: ConversationRequest;
  readonly frame: Buffer;
  state: EntryState;
  timer: TimerHandle | undefined;
  readonly promise: Promise<ConversationOutcome>;
  readonly resolve: (outcome: ConversationOutcome) => void;
}

export interface ConversationTrackerOptions {
  readonly clock: Scheduler;
  readonly fallback: ConversationFallback;
  readonly metrics: PusherMetrics;
  /** pusher must answer within this from the request, ms. */
  readonly timeoutMs: number;
  /** Ended outcomes remembered (at most), so a repeated id gets the same one. */
  readonly rememberCompleted: number;
  /** …and for at most this long after it ended, ms. */
  readonly rememberCompletedMs: number;
}

/**
 * Every conversation a session was asked to process, until its one outcome.
 * `queued` waits for a connection, `sent` waits for pusher's 201, `fallback`
 * waits for the fallback handler. Each id has one promise, resolved once: a
 * duplicate request shares it, a late 201 after a fallback is ignored.
 *
 * Queued and sent entries are also kept in their own insertion-ordered sets, so
 * sending the queue and counting what is in flight cost what is queued or in
 * flight, not every conversation pending (thousands wait while pusher is down).
 */
export class ConversationTracker {
  readonly #options: ConversationTrackerOptions;
  readonly #entries = new Map<string, Entry>();
  /** Waiting for a connection, oldest first. */
  readonly #unsent = new Set<Entry>();
  /** Sent, waiting for pusher's answer, oldest first. */
  readonly #sent = new Set<Entry>();
  /** Ended, in the order they ended: the oldest are forgotten first (by count or by age). */
  readonly #completed = new Map<string, { readonly promise: Promise<ConversationOutcome>; readonly endedAt: number }>();
  #lateAnswers = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: ConversationTrackerOptions) {
    this.#options = options;
  }

  /** Conversations not yet ended (queued, sent or in the fallback). */
  get size(): number {
    return this.#entries.size;
  }

  /** Sent and waiting for pusher. */
  get inFlight(): number {
    return this.#sent.size;
  }

  /** 201s for conversations already ended another way (counted, ignored). */
  get lateAnswers(): number {
    return this.#lateAnswers;
  }

  /** Ended outcomes remembered now. */
  get remembered(): number {
    this.#forgetExpired();
    return this.#completed.size;
  }

  /** The outcome promise of a conversation already known (waiting or recently ended). */
  lookup(id: string): Promise<ConversationOutcome> | undefined {
    const entry = this.#entries.get(id);
    if (entry) return entry.promise;
    this.#forgetExpired();
    return this.#completed.get(id)?.promise;
  }

  /** Starts tracking a conversation bound for pusher: queued, its timeout running. */
  add(request: ConversationRequest): Promise<ConversationOutcome> {
    const entry = this.#create(request);
    this.#setState(entry, 'queued');
    entry.timer = this.#options.clock.setTimeout(() => {
      entry.timer = undefined;
      if (entry.state !== 'fallback') this.#toFallback(entry, 'timeout');
    }, this.#options.timeoutMs);
    return entry.promise;
  }

  /** Tracks a conversation that goes straight to the fallback. */
  addFallback(request: ConversationRequest, reason: FallbackReason): Promise<ConversationOutcome> {
    const entry = this.#create(request);
    this.#toFallback(entry, reason);
    return entry.promise;
  }

  /** Sends queued conversations through `send`, oldest first; from the first it refuses, they stay queued. */
  sendQueued(send: (frame: Buffer) => boolean): void {
    for (const entry of this.#unsent) {
      if (entry.state !== 'queued') continue;
      if (!send(entry.frame)) return;
      this.#setState(entry, 'sent');
    }
  }

  /** pusher's 201. Returns false for an unknown or already-ended conversation. */
  answer(result: ConversationResult): boolean {
    const entry = this.#entries.get(result.conversationId);
    if (entry?.state !== 'sent') {
      this.#lateAnswers++;
      return false;
    }
    if (result.success) this.#end(entry, { via: 'pusher', conversationId: entry.id, processed: true });
    else this.#toFallback(entry, 'pusher_error', result.error);
    return true;
  }

  /** The connection dropped: what was sent goes back to the queue, ahead of what never was, to be re-sent after reconnect. */
  requeueSent(): void {
    if (this.#sent.size === 0) return;
    const order = [...this.#sent, ...this.#unsent];
    this.#sent.clear();
    this.#unsent.clear();
    for (const entry of order) {
      entry.state = 'queued';
      this.#unsent.add(entry);
    }
    this.#checkIdle();
  }

  /** Calls `fn` once when no conversation is waiting for pusher's answer (at once if none is). */
  onIdle(fn: () => void): void {
    if (this.inFlight === 0) {
      fn();
      return;
    }
    this.#idleWaiters.push(fn);
  }

  /** Hands every conversation still waiting for pusher to the fallback. */
  failover(reason: FallbackReason): void {
    for (const entry of [...this.#sent, ...this.#unsent]) this.#toFallback(entry, reason);
  }

  #create(request: ConversationRequest): Entry {
    let resolve!: (outcome: ConversationOutcome) => void;
    const promise = new Promise<ConversationOutcome>((r) => {
      resolve = r;
    });
    const entry: Entry = {
      id: request.conversation_id,
      request,
      frame: encodeProcessConversation(request),
      state: 'queued',
      timer: undefined,
      promise,
      resolve,
    };
    this.#entries.set(entry.id, entry);
    return entry;
  }

  /** Moves an entry between states and the sets that index them. */
  #setState(entry: Entry, state: EntryState): void {
    this.#unsent.delete(entry);
    this.#sent.delete(entry);
    entry.state = state;
    if (state === 'queued') this.#unsent.add(entry);
    else if (state === 'sent') this.#sent.add(entry);
  }

  #toFallback(entry: Entry, reason: FallbackReason, pusherError?: string): void {
    this.#setState(entry, 'fallback');
    this.#clearTimer(entry);
    this.#checkIdle();
    this.#options.metrics.conversationFallbacks.inc({ reason });
    void this.#options.fallback.run(entry.request, reason).then((result) => {
      this.#end(entry, {
        via: 'fallback',
        conversationId: entry.id,
        reason,
        processed: result.status === 'succeeded',
        ...(pusherError === undefined ? {} : { pusherError }),
        ...result,
      });
    });
  }

  #end(entry: Entry, outcome: ConversationOutcome): void {
    this.#clearTimer(entry);
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    this.#setState(entry, 'ended');
    this.#checkIdle();
    // One per id, labelled with how it ended: a fallback that failed is not "processed".
    const status = outcome.via === 'pusher' ? 'succeeded' : outcome.status;
    this.#options.metrics.conversationOutcomes.inc({ via: outcome.via, status });
    this.#remember(entry);
    entry.resolve(outcome);
  }

  #remember(entry: Entry): void {
    if (this.#options.rememberCompleted === 0 || this.#options.rememberCompletedMs === 0) return;
    this.#completed.delete(entry.id);
    this.#completed.set(entry.id, { promise: entry.promise, endedAt: this.#options.clock.now() });
    if (this.#completed.size > this.#options.rememberCompleted) {
      this.#completed.delete(this.#completed.keys().next().value as string);
    }
    this.#forgetExpired();
  }

  /** Forgets outcomes older than `rememberCompletedMs`: they are in end order, so only the front is looked at. */
  #forgetExpired(): void {
    const oldest = this.#options.clock.now() - this.#options.rememberCompletedMs;
    for (const [id, done] of this.#completed) {
      if (done.endedAt > oldest) return;
      this.#completed.delete(id);
    }
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || this.inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) {
      this.#options.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }
}
