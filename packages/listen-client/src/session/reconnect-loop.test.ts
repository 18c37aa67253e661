import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PusherMetrics } from '../metrics/pusher-metrics.js';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { FakeDialer } from '../testing/fake-dialer.js';
import { capturingLogger } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import type { Scheduler } from '../time/scheduler.js';
import { ReconnectLoop, type ReconnectLoopHooks } from './reconnect-loop.js';
import { resolveSessionOptions } from './session-options.js';
import { SessionWarnings } from './session-warnings.js';

// The loop on its own, with hooks and injected parts that break their
// contracts: whatever throws, no socket outlives the state that owned it.

function setup(hooks: Partial<ReconnectLoopHooks> = {}, clock: Scheduler = new ManualScheduler()) {
  const dialer = new FakeDialer();
  const breaker = new FakeBreaker();
  const { logger, lines } = capturingLogger();
  const options = resolveSessionOptions({
    pusherUrl: 'ws://pusher.test',
    uid: 'u',
    breaker,
    fallback: () => 'ok',
    clock,
    random: () => 0,
    dialer: dialer.dialer,
    logger,
    registry: new Registry(),
  });
  const loop = new ReconnectLoop(
    options,
    PusherMetrics.for(options.registry),
    logger,
    new SessionWarnings(logger, clock, options.sessionId),
    {
      opened: () => {},
      message: () => {},
      lost: () => {},
      statusChanged: () => {},
      ...hooks,
    },
  );
  return { loop, dialer, breaker, lines };
}

describe('ReconnectLoop when something throws', () => {
  it('a throwing opened hook is contained: the connection stays the session’s, logged once', async () => {
    const { loop, dialer, lines } = setup({
      opened: () => {
        throw new Error('replay broke');
      },
    });
    dialer.mode = 'accept';
    await loop.start();
    expect(loop.status.value).toBe('connected');
    expect(loop.connection).toBe(dialer.lastConnection);
    expect(lines.filter((l) => l.event === 'hook_opened_threw')).toHaveLength(1);
  });

  it('an error in the reconnect loop after a dial closes that connection before degrading', async () => {
    const clock = new ManualScheduler();
    let failNext = false;
    // A scheduler that breaks its contract once, inside the loop, right after a dial opened.
    const flaky: Scheduler = {
      now: () => {
        if (failNext) {
          failNext = false;
          throw new Error('clock broke');
        }
        return clock.now();
      },
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (t) => clock.clearTimeout(t),
    };
    const { loop, dialer, breaker } = setup({}, flaky);
    dialer.mode = 'accept';
    await loop.start();
    await clock.advance(10_000);
    const verdicts = () => ({ successes: breaker.successes, failures: breaker.failures });
    dialer.mode = 'manual';
    dialer.lastConnection.drop(1006);
    const before = verdicts(); // the first connection's success, and its drop
    await clock.advance(1_000);
    const pending = dialer.last;
    expect(pending.settled).toBe(false);
    const conn = pending.accept();
    failNext = true;
    await clock.advance(0);
    expect(loop.status.value).toBe('degraded');
    expect(loop.connection).toBeUndefined();
    expect(conn.open).toBe(false);
    expect(conn.closedWith).toBe(1011);
    // The client closed that dial itself: no verdict on pusher, not even after the confirm window.
    await clock.advance(60_000);
    expect(verdicts()).toEqual(before);
  });

  it('a throwing lost hook does not stop the loop from reconnecting', async () => {
    const clock = new ManualScheduler();
    const { loop, dialer } = setup(
      {
        lost: () => {
          throw new Error('requeue broke');
        },
      },
      clock,
    );
    dialer.mode = 'accept';
    await loop.start();
    await clock.advance(10_000);
    expect(() => dialer.lastConnection.drop(1006)).not.toThrow();
    expect(loop.status.value).toBe('reconnect_backoff');
    await clock.advance(1_000);
    expect(loop.status.value).toBe('connected');
    expect(dialer.connections).toHaveLength(2);
  });
});
