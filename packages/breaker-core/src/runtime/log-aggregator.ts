import type { Clock } from '../clock.js';

/** The slice of a pino logger Breakwater uses; any pino `Logger` fits. */
export interface BreakwaterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, unknown>): BreakwaterLogger;
}

const noop = () => {};

/** Libraries are silent unless given a logger (pino's advice). */
export const silentLogger: BreakwaterLogger = {
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  child: () => silentLogger,
};

/**
 * Keeps logs quiet in a storm: the first occurrence of a key is logged at once;
 * repeats within `intervalMs` are only counted, and the count is logged (once)
 * when the next occurrence comes after the interval, or on flush(). At most one
 * line per key per interval, whatever the error rate; at most `maxKeys` keys.
 */
export class LogAggregator {
  readonly #logger: BreakwaterLogger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #entries = new Map<string, { lastLoggedAt: number; suppressed: number }>();

  constructor(logger: BreakwaterLogger, clock: Clock, intervalMs = 10_000, maxKeys = 100) {
    this.#logger = logger;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#maxKeys = maxKeys;
  }

  warn(key: string, context: object, msg: string): void {
    const now = this.#clock();
    const entry = this.#entries.get(key);
    if (entry && now - entry.lastLoggedAt < this.#intervalMs) {
      entry.suppressed += 1;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (!entry && this.#entries.size >= this.#maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { lastLoggedAt: now, suppressed: 0 });
    this.#logger.warn(suppressed > 0 ? { ...context, repeated: suppressed } : context, msg);
  }

  /** Logs the repeats still uncounted (e.g. when the storm is over) and forgets them. */
  flush(key: string, msg: string): void {
    const entry = this.#entries.get(key);
    if (entry && entry.suppressed > 0) this.#logger.warn({ repeated: entry.suppressed }, msg);
    this.#entries.delete(key);
  }
}
