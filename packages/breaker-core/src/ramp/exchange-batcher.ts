import { PendingFeedback, type RampReport } from './pending-feedback.js';
import type { RampEvents, RampFeedbackCounts } from './ramp-exchange.js';
import type { RampDecision, RampStatus } from './reconnect-ramp.js';

/** Most takes one exchange carries; the rest wait for the next one. */
export const MAX_TAKES_PER_EXCHANGE = 1_000;

/** What one exchange answered. */
export interface ExchangeResult {
  /** The ramp's time of the exchange, ms. */
  readonly now: number;
  /** One per cost sent, in order. */
  readonly decisions: readonly RampDecision[];
  readonly status: RampStatus;
  readonly events: RampEvents;
}

/** Sends one exchange; rejects if the ramp could not answer. */
export type SendExchange = (feedback: RampFeedbackCounts, costs: number[]) => Promise<ExchangeResult>;

interface WaitingTake {
  readonly cost: number;
  resolve(decision: RampDecision): void;
  reject(err: unknown): void;
}

/**
 * One pod's takes and feedback, sent as one exchange per interval, so the ramp's load
 * grows with pods, not with sessions. The first take or report after a quiet spell goes
 * out on the next turn of the event loop (gathering what else that turn asks); while
 * more keep coming, exchanges are one interval apart (from the start of the previous
 * one) and never two at once. A take waits for the exchange that carries it, then
 * resolves with its own decision; if the exchange fails, it rejects with the error and
 * the feedback it carried is lost.
 */
export class ExchangeBatcher {
  readonly #intervalMs: number;
  readonly #send: SendExchange;
  readonly #queue: WaitingTake[] = [];
  readonly #feedback = new PendingFeedback();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number, send: SendExchange) {
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  take(cost: number): Promise<RampDecision> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ cost, resolve, reject });
      this.#schedule();
    });
  }

  /** Adds a report to the next exchange; false if it is stale (its counts dropped). */
  report(report: RampReport): boolean {
    const fresh = this.#feedback.add(report);
    this.#schedule();
    return fresh;
  }

  /** Sends what is pending now, whatever the interval (after the exchange in flight, if any). */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending) await this.#exchange();
  }

  get #pending(): boolean {
    return this.#queue.length > 0 || !this.#feedback.empty;
  }

  #schedule(): void {
    if (this.#inFlight || this.#timer || !this.#pending) return;
    const wait = Math.max(0, this.#lastSentAt + this.#intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#inFlight && this.#pending) void this.#exchange();
    }, wait);
    timer.unref?.();
    this.#timer = timer;
  }

  #exchange(): Promise<void> {
    const takes = this.#queue.splice(0, MAX_TAKES_PER_EXCHANGE);
    const feedback = this.#feedback.take();
    this.#lastSentAt = Date.now();
    const sending = this.#send(
      feedback,
      takes.map((t) => t.cost),
    )
      .then(
        (result) => {
          this.#feedback.know(result.status.epoch, result.status.cutEpoch);
          takes.forEach((t, i) => {
            const decision = result.decisions[i];
            if (decision) t.resolve(decision);
            else t.reject(new Error(`ramp exchange answered ${result.decisions.length} of ${takes.length} takes`));
          });
        },
        (err: unknown) => {
          for (const t of takes) t.reject(err);
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
        this.#schedule();
      });
    this.#inFlight = sending;
    return sending;
  }
}
