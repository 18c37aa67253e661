import { REPEAT_WINDOW_MS } from '@breakwater/breaker-core/internal';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { FakeDialer } from '../testing/fake-dialer.js';
import { capturingLogger, harness } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';

// What a pod's logs look like when every session is in trouble at once: a few
// lines a window per kind of trouble, never one per session.

describe('PusherSession logs in a storm', () => {
  it('300 sessions, each with its own child logger, losing pusher: folded process-wide', async () => {
    const clock = new ManualScheduler();
    const dialer = new FakeDialer();
    dialer.mode = 'accept';
    const breaker = new FakeBreaker();
    const { logger, lines } = capturingLogger();
    const sessions = Array.from({ length: 300 }, (_, i) =>
      harness({ clock, dialer, breaker, logger: logger.child({ app: 'listen', session: `s${i}` }) }),
    );
    await Promise.all(sessions.map((s) => s.session.start()));
    expect(sessions.every((s) => s.session.state === 'connected')).toBe(true);
    await clock.advance(10_000);
    const before = lines.length;

    dialer.mode = 'fail';
    for (const conn of dialer.connections) conn.drop(1006);
    await clock.advance(REPEAT_WINDOW_MS * 3);

    const storm = lines.slice(before);
    expect(dialer.dials.length - 300).toBeGreaterThan(300 * 20); // the storm happened…
    // …and the logs stayed quiet: one first line per kind, then one summary per window.
    const kinds = new Set(storm.map((l) => l.event));
    expect([...kinds].sort()).toEqual(['connection_dropped', 'dial_failure']);
    expect(storm.length).toBeLessThanOrEqual(kinds.size * 4);
    const summary = storm.find((l) => l.event === 'dial_failure' && typeof l.repeats === 'number');
    expect(summary).toMatchObject({ sources: 300 });
    // Each line went out through a session's own logger (its child bindings kept).
    expect(storm.every((l) => l.app === 'listen')).toBe(true);
    for (const s of sessions) await s.session.close();
  });

  it('an onStateChange listener that throws is contained and its warnings folded', async () => {
    const clock = new ManualScheduler();
    const dialer = new FakeDialer();
    dialer.mode = 'fail';
    const { logger, lines } = capturingLogger();
    const sessions = Array.from({ length: 50 }, () => harness({ clock, dialer, logger }));
    for (const s of sessions) {
      s.session.onStateChange(() => {
        throw new Error('app listener bug');
      });
    }
    await Promise.all(sessions.map((s) => s.session.start()));
    await clock.advance(REPEAT_WINDOW_MS);
    expect(sessions.every((s) => s.session.state === 'degraded')).toBe(true);
    const listener = lines.filter((l) => l.event === 'listener_threw');
    // The first, then the window's summary (then the next window's first: the probes at 60 s).
    expect(listener.length).toBeLessThanOrEqual(3);
    expect(listener[1]).toMatchObject({ sources: 50 });
  });
});
