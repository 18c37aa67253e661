import type { BreakwaterLogger } from './breakwater-logger.js';

/** How long repeats of one event are folded into one summary line, ms. */
export const REPEAT_WINDOW_MS = 60_000;

/** Timers for the summary (a listen-client Scheduler fits; so does the global pair). */
export interface RepeatTimers {
  setTimeout(fn: () => void, ms: number): unknown;
}

export const systemTimers: RepeatTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms) };

interface Entry {
  level: 'warn' | 'info';
  count: number;
  sources: Set<string>;
  message: string;
}

/**
 * Logs that stay quiet in a storm. The first occurrence of an event (by key) is
 * logged at once; repeats within the window, from any source (session, pod) on
 * the same logger, are counted and logged as one summary line when the window
 * ends: a pod with 300 failing sessions writes two lines a minute per event, not
 * 300. Used by the pod runtime and by every listen-client session.
 */
export class RepeatLog {
  readonly #logger: BreakwaterLogger;
  readonly #timers: RepeatTimers;
  readonly #entries = new Map<string, Entry>();

  private constructor(logger: BreakwaterLogger, timers: RepeatTimers) {
    this.#logger = logger;
    this.#timers = timers;
  }

  static #byLogger = new WeakMap<object, RepeatLog>();

  /** One per logger, shared by everything that logs to it. */
  static for(logger: BreakwaterLogger, timers: RepeatTimers = systemTimers): RepeatLog {
    let log = RepeatLog.#byLogger.get(logger);
    if (!log) {
      log = new RepeatLog(logger, timers);
      RepeatLog.#byLogger.set(logger, log);
    }
    return log;
  }

  warn(key: string, source: string, context: Record<string, unknown>, message: string): void {
    this.#note('warn', key, source, context, message);
  }

  /** Like warn(), at info level: routine events that repeat in a storm (a Redis that flaps, probes every cooldown). */
  info(key: string, source: string, context: Record<string, unknown>, message: string): void {
    this.#note('info', key, source, context, message);
  }

  #note(level: Entry['level'], key: string, source: string, context: Record<string, unknown>, message: string): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      if (entry.sources.size < 10_000) entry.sources.add(source);
      return;
    }
    this.#logger[level]({ ...context, source, event: key }, message);
    const timer = this.#timers.setTimeout(() => this.#summarize(key), REPEAT_WINDOW_MS);
    (timer as { unref?: () => void } | undefined)?.unref?.();
    this.#entries.set(key, { level, count: 0, sources: new Set(), message });
  }

  #summarize(key: string): void {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (!entry || entry.count === 0) return;
    this.#logger[entry.level](
      { event: key, repeats: entry.count, sources: entry.sources.size, windowMs: REPEAT_WINDOW_MS },
      `${entry.message} (repeated ${entry.count} times in the last ${REPEAT_WINDOW_MS / 1000}s)`,
    );
  }
}
