import type { BreakwaterLogger } from '@breakwater/breaker-core';
import { RepeatLog } from '@breakwater/breaker-core/internal';
import type { Logger } from 'pino';
import type { Scheduler } from '../time/scheduler.js';

/**
 * Sends each line RepeatLog writes to the logger of the session that caused it:
 * the first occurrence to the session reporting it, the window's summary to the
 * session that reported that first occurrence.
 */
class LineRouter implements BreakwaterLogger {
  /** The session logging right now (set around each synchronous RepeatLog call). */
  target: Logger | undefined;
  /** Per event: who logged its first occurrence, so its summary goes to the same place. */
  readonly #firstBy = new Map<string, Logger>();
  #last: Logger | undefined;

  warn(obj: object, msg: string): void {
    const event = (obj as { event?: unknown }).event;
    const key = typeof event === 'string' ? event : '';
    let logger = this.target;
    if (logger) {
      this.#firstBy.set(key, logger);
      this.#last = logger;
    } else {
      // A summary, from RepeatLog's timer.
      logger = this.#firstBy.get(key) ?? this.#last;
      this.#firstBy.delete(key);
    }
    logger?.warn(obj, msg);
  }

  info(obj: object, msg: string): void {
    this.target?.info(obj, msg);
  }

  error(obj: object, msg: string): void {
    this.target?.error(obj, msg);
  }

  debug(obj: object, msg: string): void {
    this.target?.debug(obj, msg);
  }

  child(): BreakwaterLogger {
    return this;
  }
}

/** One router (so one RepeatLog) per scheduler: process-wide on real time, per test on a manual clock. */
const routers = new WeakMap<Scheduler, LineRouter>();

/**
 * Storm-quiet warnings for one session, folded with every other session of the
 * process. breaker-core's RepeatLog folds repeats per logger object, and apps
 * commonly give each session its own `logger.child()`: each session would then
 * fold only its own repeats, and a storm across 300 sessions would write 300
 * lines. So the fold key is the event, process-wide (per scheduler, so tests on
 * their own clocks stay apart), and each line still goes out through a session's
 * own logger: the first occurrence through the reporting session's, the summary
 * through the logger that logged that first occurrence.
 */
export class SessionWarnings {
  readonly #logger: Logger;
  readonly #source: string;
  readonly #router: LineRouter;
  readonly #log: RepeatLog;

  /** `source`: the session's id, logged with each first occurrence. */
  constructor(logger: Logger, clock: Scheduler, source: string) {
    this.#logger = logger;
    this.#source = source;
    let router = routers.get(clock);
    if (!router) {
      router = new LineRouter();
      routers.set(clock, router);
    }
    this.#router = router;
    this.#log = RepeatLog.for(router, clock);
  }

  /** The first `key` in a window is logged now (with this session as `source`); repeats, from any session, fold into one summary. */
  warn(key: string, context: Record<string, unknown>, message: string): void {
    const previous = this.#router.target;
    this.#router.target = this.#logger;
    try {
      this.#log.warn(key, this.#source, context, message);
    } finally {
      this.#router.target = previous;
    }
  }
}
