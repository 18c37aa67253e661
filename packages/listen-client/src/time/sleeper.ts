import type { Scheduler, TimerHandle } from './scheduler.js';

/**
 * One loop's sleep on the injected scheduler, which something else (a breaker
 * transition, close()) may cut short. One sleep at a time: the loop that owns it
 * never sleeps twice at once.
 */
export class Sleeper {
  readonly #clock: Scheduler;
  #wake: (() => void) | undefined;

  constructor(clock: Scheduler) {
    this.#clock = clock;
  }

  /** Resolves at scheduler time `at` (at once if it has passed), or when {@link wake} is called. */
  until(at: number): Promise<void> {
    const ms = at - this.#clock.now();
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        timer = undefined;
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      timer = this.#clock.setTimeout(done, ms);
    });
  }

  /** Ends the current sleep now, if there is one. */
  wake(): void {
    this.#wake?.();
  }
}
