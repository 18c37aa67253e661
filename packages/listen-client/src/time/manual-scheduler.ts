import type { Scheduler, TimerHandle } from './scheduler.js';

interface Timer {
  readonly seq: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Lets promise chains started by a timer settle before the next timer runs. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A scheduler whose time moves only when told. `advance(ms)` runs every timer due
 * in order, at its own time, and lets the promise chains it starts settle before
 * the next one, so tests assert on sequences and counts, never on elapsed time.
 */
export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { seq, at: this.#now + Math.max(0, ms), fn });
    return { seq };
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete((handle as { seq: number }).seq);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer is due, or undefined. */
  nextAt(): number | undefined {
    return this.#next()?.at;
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#next();
      if (!next || next.at > target) break;
      this.#timers.delete(next.seq);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Moves time to the next timer and runs the timers due then. Returns false if none. */
  async runNext(): Promise<boolean> {
    const next = this.#next();
    if (!next) return false;
    await this.advance(next.at - this.#now);
    return true;
  }

  #next(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
