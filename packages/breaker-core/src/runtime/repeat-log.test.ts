import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakwaterLogger } from './breakwater-logger.js';
import { REPEAT_WINDOW_MS, RepeatLog } from './repeat-log.js';

function capturingLogger(): { logger: BreakwaterLogger; lines: Array<Record<string, unknown> & { msg: string }> } {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const logger: BreakwaterLogger = {
    info: () => {},
    warn: (obj, msg) => lines.push({ ...obj, msg }),
    error: () => {},
    debug: () => {},
    child: () => logger,
  };
  return { logger, lines };
}

describe('RepeatLog', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('logs the first occurrence, then one summary per window, across sources', () => {
    const { logger, lines } = capturingLogger();
    const log = RepeatLog.for(logger);
    expect(RepeatLog.for(logger)).toBe(log);
    for (let s = 0; s < 300; s++) log.warn('dial_failure', `s${s}`, { err: 'refused' }, 'pusher dial failure');
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(REPEAT_WINDOW_MS);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ event: 'dial_failure', repeats: 299, sources: 299 });
    expect(lines[1]?.msg).toContain('repeated 299 times');
    log.warn('dial_failure', 's1', {}, 'pusher dial failure');
    expect(lines).toHaveLength(3);
  });

  it('writes no summary when nothing repeated', () => {
    const { logger, lines } = capturingLogger();
    RepeatLog.for(logger).warn('x', 's', {}, 'once');
    vi.advanceTimersByTime(REPEAT_WINDOW_MS * 2);
    expect(lines).toHaveLength(1);
  });

  it('folds info lines the same way, summarising at info level', () => {
    const infos: string[] = [];
    const logger: BreakwaterLogger = {
      info: (_obj, msg) => infos.push(msg),
      warn: () => {},
      error: () => {},
      debug: () => {},
      child: () => logger,
    };
    const log = RepeatLog.for(logger);
    for (let i = 0; i < 3; i++) log.info('probe-granted', 'pod-a', {}, 'probe lease granted');
    vi.advanceTimersByTime(REPEAT_WINDOW_MS);
    expect(infos).toEqual(['probe lease granted', 'probe lease granted (repeated 2 times in the last 60s)']);
  });
});
