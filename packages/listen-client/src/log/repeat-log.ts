import type { Logger } from 'pino';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';

/** How long repeats of one event are folded into one summary line, ms. */
export const REPEAT_WINDOW_MS = 60_000;

interface Entry {
  count: number;
  sessions: Set<string>;
  message: string;
  timer: TimerHandle;
}

/**
 * Logs that stay quiet in a storm. The first occurrence of an event (by key) is
 * logged at once; repeats within the window, from any session on the same
 * logger, are counted and logged as one summary line when the window ends:
 * a pod with 300 failing sessions writes two lines a minute per event, not 300.
 */
export class RepeatLog {
  readonly #logger: Logger;
  readonly #scheduler: Scheduler;
  readonly #entries = new Map<string, Entry>();

  private constructor(logger: Logger, scheduler: Scheduler) {
    this.#logger = logger;
    this.#scheduler = scheduler;
  }

  static #byLogger = new WeakMap<Logger, RepeatLog>();

  /** One per logger, shared by every session that logs to it. */
  static for(logger: Logger, scheduler: Scheduler): RepeatLog {
    let log = RepeatLog.#byLogger.get(logger);
    if (!log) {
      log = new RepeatLog(logger, scheduler);
      RepeatLog.#byLogger.set(logger, log);
    }
    return log;
  }

  warn(key: string, session: string, context: Record<string, unknown>, message: string): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      if (entry.sessions.size < 10_000) entry.sessions.add(session);
      return;
    }
    this.#logger.warn({ ...context, session, event: key }, message);
    const timer = this.#scheduler.setTimeout(() => this.#summarize(key), REPEAT_WINDOW_MS);
    (timer as { unref?: () => void }).unref?.();
    this.#entries.set(key, { count: 0, sessions: new Set(), message, timer });
  }

  #summarize(key: string): void {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (!entry || entry.count === 0) return;
    this.#logger.warn(
      { event: key, repeats: entry.count, sessions: entry.sessions.size, windowMs: REPEAT_WINDOW_MS },
      `${entry.message} (repeated ${entry.count} times in the last ${REPEAT_WINDOW_MS / 1000}s)`,
    );
  }
}
