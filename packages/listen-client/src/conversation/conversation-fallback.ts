import { InvalidArgumentError } from '@breakwater/breaker-core';
import { integerInRange, knownKeys, plainObject } from '@breakwater/breaker-core/internal';
import type { ConversationRequest } from '../protocol/encode.js';
import { isScheduler, type Scheduler, systemScheduler, type TimerHandle } from '../time/scheduler.js';
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
  /**
   * Handler runs at once, a hard bound: a run that timed out keeps its slot until
   * the handler settles. Integer 1 – 1_000. @default 4
   */
  concurrency?: number;
  /** A run's outcome is `timed_out` (its signal aborted) after this, ms. 1 ms – 1 h. @default 30_000 */
  timeoutMs?: number;
  /** Requests waiting for a slot; beyond it they end `rejected` at once. Integer 1 – 1_000_000. @default 10_000 */
  maxQueued?: number;
  /** A request that waited this long for a slot ends `expired`, never run, ms. 1 ms – 1 h. @default 30_000 */
  maxQueueWaitMs?: number;
  /** Time source for the timeouts. @default real time (a session building one from a bare handler passes its own) */
  clock?: Scheduler;
}

export const DEFAULT_CONVERSATION_FALLBACK_OPTIONS = Object.freeze({
  concurrency: 4,
  timeoutMs: 30_000,
  maxQueued: 10_000,
  maxQueueWaitMs: 30_000,
});

interface Job {
  readonly request: ConversationRequest;
  readonly reason: FallbackReason;
  readonly resolve: (r: FallbackResult) => void;
  deadline: TimerHandle | undefined;
}

/**
 * Runs the app's fallback for conversations pusher cannot take, with bounded
 * concurrency, a bounded queue with a deadline, and a timeout, so a slow fallback
 * cannot pile up work or stall the event loop, and every request ends within
 * `maxQueueWaitMs + timeoutMs`. Share one per pod across sessions.
 *
 * `concurrency` bounds handler runs, not just outcomes: a run that times out is
 * reported `timed_out` at once (its signal aborts), but its slot stays taken until
 * the handler actually settles, so a handler that ignores its signal cannot have
 * more than `concurrency` copies running. Those runs are counted in
 * {@link abandoned}; if they never settle, the queue drains by its deadline.
 */
export class ConversationFallback {
  readonly #handler: FallbackHandler;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #maxQueueWaitMs: number;
  readonly #clock: Scheduler;
  /** Waiting jobs in arrival order; a Set so an expired job leaves at once, wherever it is. */
  readonly #queue = new Set<Job>();
  #active = 0;
  #abandoned = 0;

  constructor(options: ConversationFallbackOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, ['handler', 'concurrency', 'timeoutMs', 'maxQueued', 'maxQueueWaitMs', 'clock']);
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
    this.#maxQueueWaitMs = integerInRange(
      'options.maxQueueWaitMs',
      options.maxQueueWaitMs ?? d.maxQueueWaitMs,
      1,
      3_600_000,
    );
    this.#clock = options.clock ?? systemScheduler;
  }

  /** Slots taken: handler runs not yet settled, timed-out ones included. */
  get active(): number {
    return this.#active;
  }

  /** Runs whose outcome was `timed_out` but whose handler has not settled yet (each holds a slot). */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** Waiting for a slot. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Runs the handler for `request` when a slot is free. Never rejects. */
  run(request: ConversationRequest, reason: FallbackReason): Promise<FallbackResult> {
    return new Promise<FallbackResult>((resolve) => {
      if (this.#queue.size >= this.#maxQueued) {
        resolve({ status: 'rejected', error: `fallback queue full (${this.#maxQueued})` });
        return;
      }
      const job: Job = { request, reason, resolve, deadline: undefined };
      job.deadline = this.#clock.setTimeout(() => {
        job.deadline = undefined;
        if (!this.#queue.delete(job)) return;
        resolve({ status: 'expired', error: `no fallback slot within ${this.#maxQueueWaitMs} ms` });
      }, this.#maxQueueWaitMs);
      this.#queue.add(job);
      this.#pump(true);
    });
  }

  /** `inCallerStack`: called from run(), so a start waits for the caller's turn to finish. */
  #pump(inCallerStack: boolean): void {
    while (this.#active < this.#concurrency) {
      const job = this.#queue.values().next().value;
      if (!job) return;
      this.#queue.delete(job);
      if (job.deadline !== undefined) this.#clock.clearTimeout(job.deadline);
      this.#active++;
      // Never in the caller's stack: the caller's event-loop turn finishes first. A slot
      // freed by a settling handler is already off any caller's stack.
      if (inCallerStack) setImmediate(() => this.#start(job));
      else this.#start(job);
    }
  }

  #start(job: Job): void {
    const controller = new AbortController();
    let reported = false;
    let settled = false;
    const report = (result: FallbackResult) => {
      if (reported) return;
      reported = true;
      job.resolve(result);
    };
    // The slot is freed when the handler settles, never before.
    const settle = (result: FallbackResult) => {
      if (settled) return;
      settled = true;
      this.#clock.clearTimeout(timer);
      if (reported) this.#abandoned--;
      report(result);
      this.#active--;
      this.#pump(false);
    };
    const timer = this.#clock.setTimeout(() => {
      if (settled) return;
      this.#abandoned++;
      controller.abort(new Error(`fallback timed out after ${this.#timeoutMs} ms`));
      report({ status: 'timed_out' });
    }, this.#timeoutMs);
    // Settled asynchronously even when the handler throws at once: a freed slot starts
    // the next job directly, and a handler that always throws must not recurse.
    let running: Promise<unknown>;
    try {
      running = Promise.resolve(this.#handler(job.request, { signal: controller.signal, reason: job.reason }));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (result) => settle({ status: 'succeeded', result }),
      (err: unknown) => settle({ status: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
  }
}
