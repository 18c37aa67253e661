import { InvalidArgumentError, integerInRange, knownKeys, plainObject } from '@breakwater/breaker-core';
import type { ConversationRequest } from '../protocol/encode.js';
import { isScheduler, type Scheduler, systemScheduler } from '../time/scheduler.js';
import type { FallbackReason, FallbackResult } from './conversation-outcome.js';

/**
 * Processes a conversation without pusher. Runs asynchronously (never in the
 * caller's stack); should honour `signal`, which aborts at the timeout.
 */
export type FallbackHandler = (
  request: ConversationRequest,
  context: { readonly signal: AbortSignal; readonly reason: FallbackReason },
) => unknown;

export interface ConversationFallbackOptions {
  handler: FallbackHandler;
  /** Handler runs at once; the rest wait in a queue. Integer 1 – 1_000. @default 4 */
  concurrency?: number;
  /** A run is abandoned (outcome `timed_out`, signal aborted) after this, ms. 1 ms – 1 h. @default 30_000 */
  timeoutMs?: number;
  /** Requests waiting for a slot; beyond it they end `rejected` at once. Integer 1 – 1_000_000. @default 10_000 */
  maxQueued?: number;
  /** Time source for the timeout. @default real time */
  clock?: Scheduler;
}

export const DEFAULT_CONVERSATION_FALLBACK_OPTIONS = Object.freeze({
  concurrency: 4,
  timeoutMs: 30_000,
  maxQueued: 10_000,
});

interface Job {
  readonly request: ConversationRequest;
  readonly reason: FallbackReason;
  readonly resolve: (r: FallbackResult) => void;
}

/**
 * Runs the app's fallback for conversations pusher cannot take, with bounded
 * concurrency, a bounded queue and a timeout, so a slow fallback cannot pile up
 * work or stall the event loop. Share one per pod across sessions.
 */
export class ConversationFallback {
  readonly #handler: FallbackHandler;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #clock: Scheduler;
  readonly #queue: Job[] = [];
  #queueHead = 0;
  #active = 0;

  constructor(options: ConversationFallbackOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['handler', 'concurrency', 'timeoutMs', 'maxQueued', 'clock']);
    if (typeof options.handler !== 'function') {
      throw new InvalidArgumentError('options.handler', `expected a function, got ${typeof options.handler}`);
    }
    if (options.clock !== undefined && !isScheduler(options.clock)) {
      throw new InvalidArgumentError('options.clock', 'expected a Scheduler ({ now, setTimeout, clearTimeout })');
    }
    const d = DEFAULT_CONVERSATION_FALLBACK_OPTIONS;
    this.#handler = options.handler;
    this.#concurrency = integerInRange('options.concurrency', options.concurrency ?? d.concurrency, 1, 1_000);
    this.#timeoutMs = integerInRange('options.timeoutMs', options.timeoutMs ?? d.timeoutMs, 1, 3_600_000);
    this.#maxQueued = integerInRange('options.maxQueued', options.maxQueued ?? d.maxQueued, 1, 1_000_000);
    this.#clock = options.clock ?? systemScheduler;
  }

  /** Runs now. */
  get active(): number {
    return this.#active;
  }

  /** Waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Runs the handler for `request` when a slot is free. Never rejects. */
  run(request: ConversationRequest, reason: FallbackReason): Promise<FallbackResult> {
    return new Promise<FallbackResult>((resolve) => {
      if (this.queued >= this.#maxQueued) {
        resolve({ status: 'rejected', error: `fallback queue full (${this.#maxQueued})` });
        return;
      }
      this.#queue.push({ request, reason, resolve });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.queued > 0) {
      const job = this.#queue[this.#queueHead] as Job;
      this.#queue[this.#queueHead] = undefined as unknown as Job;
      this.#queueHead++;
      if (this.#queueHead > 1_024 && this.#queueHead * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#queueHead);
        this.#queueHead = 0;
      }
      this.#active++;
      // Never in the caller's stack: the caller's event-loop turn finishes first.
      setImmediate(() => this.#start(job));
    }
  }

  #start(job: Job): void {
    const controller = new AbortController();
    let done = false;
    const finish = (result: FallbackResult) => {
      if (done) return;
      done = true;
      this.#clock.clearTimeout(timer);
      this.#active--;
      job.resolve(result);
      this.#pump();
    };
    const timer = this.#clock.setTimeout(() => {
      controller.abort(new Error(`fallback timed out after ${this.#timeoutMs} ms`));
      finish({ status: 'timed_out' });
    }, this.#timeoutMs);
    try {
      Promise.resolve(this.#handler(job.request, { signal: controller.signal, reason: job.reason })).then(
        (result) => finish({ status: 'succeeded', result }),
        (err: unknown) => finish({ status: 'failed', error: err instanceof Error ? err.message : String(err) }),
      );
    } catch (err) {
      finish({ status: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }
}
