import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { ConversationResult } from '../protocol/decode.js';
import { type ConversationRequest, encodeProcessConversation } from '../protocol/encode.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';
import type { ConversationFallback } from './conversation-fallback.js';
import type { ConversationOutcome, FallbackReason } from './conversation-outcome.js';

type EntryState = 'queued' | 'sent' | 'fallback';

interface Entry {
  readonly id: string;
  readonly request: ConversationRequest;
  readonly frame: Buffer;
  state: EntryState;
  timer: TimerHandle | undefined;
  readonly promise: Promise<ConversationOutcome>;
  readonly resolve: (o: ConversationOutcome) => void;
}

export interface ConversationTrackerOptions {
  readonly clock: Scheduler;
  readonly fallback: ConversationFallback;
  readonly metrics: PusherMetrics;
  /** pusher must answer within this from the request, ms. */
  readonly timeoutMs: number;
  /** Ended outcomes remembered, so a repeated id gets the same one. */
  readonly rememberCompleted: number;
}

/**
 * Every conversation a session was asked to process, until its one outcome.
 * `queued` waits for a connection, `sent` waits for pusher's 201, `fallback`
 * waits for the fallback handler. Each id has one promise, resolved once: a
 * duplicate request shares it, a late 201 after a fallback is ignored.
 */
export class ConversationTracker {
  readonly #o: ConversationTrackerOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #completed = new Map<string, Promise<ConversationOutcome>>();
  #lateAnswers = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: ConversationTrackerOptions) {
    this.#o = options;
  }

  /** Conversations not yet ended (queued, sent or in the fallback). */
  get size(): number {
    return this.#entries.size;
  }

  /** Sent and waiting for pusher. */
  get inFlight(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.state === 'sent') n++;
    return n;
  }

  /** 201s for conversations already ended another way (counted, ignored). */
  get lateAnswers(): number {
    return this.#lateAnswers;
  }

  /** The outcome promise of a conversation already known (waiting or recently ended). */
  lookup(id: string): Promise<ConversationOutcome> | undefined {
    return this.#entries.get(id)?.promise ?? this.#completed.get(id);
  }

  /** Starts tracking a conversation bound for pusher: queued, its timeout running. */
  add(request: ConversationRequest): Promise<ConversationOutcome> {
    const entry = this.#create(request, 'queued');
    entry.timer = this.#o.clock.setTimeout(() => {
      entry.timer = undefined;
      if (entry.state !== 'fallback') this.#toFallback(entry, 'timeout');
    }, this.#o.timeoutMs);
    return entry.promise;
  }

  /** Tracks a conversation that goes straight to the fallback. */
  addFallback(request: ConversationRequest, reason: FallbackReason): Promise<ConversationOutcome> {
    const entry = this.#create(request, 'queued');
    this.#toFallback(entry, reason);
    return entry.promise;
  }

  /** Sends every queued conversation through `send`; those it refuses stay queued. */
  sendQueued(send: (frame: Buffer) => boolean): void {
    for (const entry of this.#entries.values()) {
      if (entry.state !== 'queued') continue;
      if (!send(entry.frame)) return;
      entry.state = 'sent';
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

  /** The connection dropped: what was sent goes back to the queue, to be re-sent after reconnect. */
  requeueSent(): void {
    for (const entry of this.#entries.values()) if (entry.state === 'sent') entry.state = 'queued';
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
    for (const entry of [...this.#entries.values()]) if (entry.state !== 'fallback') this.#toFallback(entry, reason);
  }

  #create(request: ConversationRequest, state: EntryState): Entry {
    let resolve!: (o: ConversationOutcome) => void;
    const promise = new Promise<ConversationOutcome>((r) => {
      resolve = r;
    });
    const entry: Entry = {
      id: request.conversation_id,
      request,
      frame: encodeProcessConversation(request),
      state,
      timer: undefined,
      promise,
      resolve,
    };
    this.#entries.set(entry.id, entry);
    return entry;
  }

  #toFallback(entry: Entry, reason: FallbackReason, pusherError?: string): void {
    entry.state = 'fallback';
    this.#clearTimer(entry);
    this.#checkIdle();
    this.#o.metrics.conversationFallbacks.inc({ reason });
    void this.#o.fallback.run(entry.request, reason).then((result) => {
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
    this.#checkIdle();
    // One per id, labelled with how it ended: a fallback that failed is not "processed".
    const status = outcome.via === 'pusher' ? 'succeeded' : outcome.status;
    this.#o.metrics.conversationOutcomes.inc({ via: outcome.via, status });
    this.#completed.set(entry.id, entry.promise);
    if (this.#completed.size > this.#o.rememberCompleted) {
      const oldest = this.#completed.keys().next().value as string;
      this.#completed.delete(oldest);
    }
    entry.resolve(outcome);
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || this.inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #clearTimer(entry: Entry): void {
    if (entry.timer !== undefined) {
      this.#o.clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }
}
