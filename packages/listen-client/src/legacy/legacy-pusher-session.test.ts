import { describe, expect, it } from 'vitest';
import { encodeConversationResult } from '../protocol/decode.js';
import { FakeDialer } from '../testing/fake-dialer.js';
import { capturingLogger } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { LegacyPusherSession } from './legacy-pusher-session.js';

// The pre-fix baseline must behave as badly as the old code did: the replay
// compares against it.

function legacy() {
  const clock = new ManualScheduler();
  const dialer = new FakeDialer();
  const closes: number[] = [];
  const { logger, lines } = capturingLogger();
  const t0 = clock.now();
  const dialAt: number[] = [];
  const session = new LegacyPusherSession({
    pusherUrl: 'ws://pusher.test',
    uid: 'u',
    clock,
    dialer: (url, events, options) => {
      dialAt.push(clock.now() - t0);
      return dialer.dialer(url, events, options);
    },
    logger,
    onClientClose: (code) => closes.push(code),
  });
  return { clock, dialer, session, closes, lines, dialTimes: () => [...dialAt] };
}

describe('LegacyPusherSession (pre-fix behaviour)', () => {
  it('a failed first connect: 5 tries 1-2-4-8 s apart, then the app session is closed with 1011', async () => {
    const l = legacy();
    l.dialer.mode = 'fail';
    const started = l.session.start();
    await l.clock.advance(60_000);
    expect(l.dialTimes()).toEqual([0, 1_000, 3_000, 7_000, 15_000]); // 1, 2, 4, 8 s apart: the 15 s cap is never reached
    expect(await started).toBe(false);
    expect(l.closes).toEqual([1011]);
    expect(l.session.stats()).toMatchObject({ dials: 5, dialFailures: 5, retryWarnings: 5, clientClosedWith: 1011 });
    expect(l.lines).toHaveLength(5); // one warning per retry: no aggregation
  });

  it('when pusher goes away, the three 1 s loops each reconnect: 3 dials a second, no breaker', async () => {
    const l = legacy();
    l.dialer.mode = 'accept';
    expect(await l.session.start()).toBe(true);
    l.dialer.mode = 'fail';
    l.dialer.lastConnection.drop(1011);
    await l.clock.advance(1_000);
    expect(l.session.stats().reconnectsInFlight).toBe(3);
    expect(l.dialer.dials.length - 1).toBe(3);
    await l.clock.advance(60_000);
    // 3 loops × 5 tries per round, round after round: the storm.
    expect(l.dialer.dials.length - 1).toBeGreaterThanOrEqual(3 * 5 * 3);
    l.session.close();
  });

  it('buffers audio without bound and loses conversations in flight when the connection dies', async () => {
    const l = legacy();
    l.dialer.mode = 'accept';
    await l.session.start();
    const answered = l.session.processConversation({ conversation_id: 'ok' });
    await l.clock.advance(1_000);
    l.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'ok', success: true }));
    expect(await answered).toBe(true);
    void l.session.processConversation({ conversation_id: 'lost' });
    await l.clock.advance(1_000);
    l.dialer.mode = 'fail';
    l.dialer.lastConnection.drop(1006);
    for (let i = 0; i < 100; i++) l.session.sendAudio(Buffer.alloc(3_200), i);
    await l.clock.advance(120_000);
    expect(l.session.stats()).toMatchObject({ conversationsUnanswered: 1, audioBufferedBytes: 100 * (3_200 + 12) });
    l.session.close();
  });
});
