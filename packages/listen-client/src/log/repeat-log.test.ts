import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { REPEAT_WINDOW_MS, RepeatLog } from './repeat-log.js';

describe('RepeatLog', () => {
  it('logs the first occurrence, then one summary per window, across sessions', async () => {
    const clock = new ManualScheduler();
    const { logger, lines } = capturingLogger();
    const log = RepeatLog.for(logger, clock);
    expect(RepeatLog.for(logger, clock)).toBe(log);
    for (let s = 0; s < 300; s++) log.warn('dial_failure', `s${s}`, { err: 'refused' }, 'pusher dial failure');
    expect(lines).toHaveLength(1);
    await clock.advance(REPEAT_WINDOW_MS);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ event: 'dial_failure', repeats: 299, sessions: 299 });
    expect(lines[1]?.msg).toContain('repeated 299 times');
    log.warn('dial_failure', 's1', {}, 'pusher dial failure');
    expect(lines).toHaveLength(3);
  });

  it('writes no summary when nothing repeated', async () => {
    const clock = new ManualScheduler();
    const { logger, lines } = capturingLogger();
    RepeatLog.for(logger, clock).warn('x', 's', {}, 'once');
    await clock.advance(REPEAT_WINDOW_MS * 2);
    expect(lines).toHaveLength(1);
  });
});
