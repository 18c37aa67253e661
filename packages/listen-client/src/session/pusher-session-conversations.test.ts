import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { ConversationFallback } from '../conversation/conversation-fallback.js';
import { encodeConversationResult } from '../protocol/decode.js';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { connectedHarness, harness } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';

// Conversations through a session: exactly one outcome each, via pusher or the
// fallback, within bounds, connected and not.

describe('conversations', () => {
  it('pusher answers: one outcome via pusher; a repeat shares it, even after it ended', async () => {
    const h = await connectedHarness();
    const first = h.session.processConversation({ conversation_id: 'c1', language: 'en' });
    const again = h.session.processConversation({ conversation_id: 'c1' });
    expect(again).toBe(first);
    expect(h.dialer.lastConnection.opcodes).toEqual([104]);
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: true }));
    expect(await first).toEqual({ via: 'pusher', conversationId: 'c1', processed: true });
    expect(await h.session.processConversation({ conversation_id: 'c1' })).toEqual({
      via: 'pusher',
      conversationId: 'c1',
      processed: true,
    });
    expect(h.dialer.lastConnection.opcodes).toEqual([104]);
    expect(h.fallbackCalls).toHaveLength(0);
  });

  it('a 201 written by a Python model ("error": null) is a success at once, not a malformed frame and a timeout', async () => {
    const h = await connectedHarness();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    const body = Buffer.from('{"conversation_id": "c1", "success": true, "error": null}');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(201, 0);
    h.dialer.lastConnection.receive(Buffer.concat([header, body]));
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c1', processed: true });
    expect(h.session.stats()).toMatchObject({ malformedFrames: 0, pendingConversations: 0 });
    expect(h.fallbackCalls).toHaveLength(0);
  });

  it('remembers ended outcomes for repeats, bounded by count and by age', async () => {
    const h = await connectedHarness({ rememberConversations: 2, rememberConversationsMs: 60_000 });
    h.breaker.set('open'); // straight to the fallback
    for (const id of ['a', 'b', 'c']) await h.session.processConversation({ conversation_id: id });
    expect(h.fallbackCalls.map((r) => r.conversation_id)).toEqual(['a', 'b', 'c']);
    await h.session.processConversation({ conversation_id: 'c' }); // remembered: shared, not run again
    await h.session.processConversation({ conversation_id: 'a' }); // forgotten (count): run again
    expect(h.fallbackCalls.map((r) => r.conversation_id)).toEqual(['a', 'b', 'c', 'a']);
    await h.advance(59_999);
    await h.session.processConversation({ conversation_id: 'a' });
    expect(h.fallbackCalls).toHaveLength(4);
    await h.advance(1);
    await h.session.processConversation({ conversation_id: 'a' }); // forgotten (age): run again
    expect(h.fallbackCalls).toHaveLength(5);
  });

  it('pusher answers with an error: the fallback processes it', async () => {
    const h = await connectedHarness();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: false, error: 'llm' }));
    expect(await outcome).toMatchObject({
      via: 'fallback',
      reason: 'pusher_error',
      pusherError: 'llm',
      status: 'succeeded',
    });
  });

  it('pusher does not answer in 30 s: the fallback; a late 201 is ignored', async () => {
    const h = await connectedHarness();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    await h.advance(29_999);
    expect(h.fallbackCalls).toHaveLength(0);
    await h.advance(1);
    expect(await outcome).toMatchObject({ via: 'fallback', reason: 'timeout' });
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: true }));
    expect(h.session.stats().lateAnswers).toBe(1);
    expect(await h.session.processConversation({ conversation_id: 'c1' })).toMatchObject({ via: 'fallback' });
  });

  it('in flight when the connection drops: re-sent after reconnect, answered once', async () => {
    const h = await connectedHarness();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    h.dialer.lastConnection.drop(1006);
    await h.advance(2_000); // a connection shorter than 10 s: second backoff step
    expect(h.session.state).toBe('connected');
    expect(h.dialer.lastConnection.opcodes).toEqual([104]);
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: true }));
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c1', processed: true });
  });

  it('in flight when the session degrades: handed to the fallback at once', async () => {
    const h = await connectedHarness();
    h.dialer.mode = 'fail';
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    h.breaker.set('open');
    h.dialer.lastConnection.drop(1006);
    expect(await outcome).toMatchObject({ via: 'fallback', reason: 'degraded' });
  });

  it('goes to the fallback when degraded, when the breaker is open, when closed', async () => {
    const breaker = new FakeBreaker();
    const h = await connectedHarness({ breaker });
    breaker.set('open');
    expect(await h.session.processConversation({ conversation_id: 'open' })).toMatchObject({ reason: 'breaker_open' });
    await h.session.close();
    expect(await h.session.processConversation({ conversation_id: 'late' })).toMatchObject({ reason: 'closed' });
    const d = harness();
    d.dialer.mode = 'fail';
    await d.session.start();
    expect(await d.session.processConversation({ conversation_id: 'down' })).toMatchObject({ reason: 'degraded' });
  });

  it('bounds the conversations waiting on a session', async () => {
    const h = harness({ maxPendingConversations: 2 });
    void h.session.start(); // dial pending: conversations wait
    await h.advance(0);
    void h.session.processConversation({ conversation_id: 'a' });
    void h.session.processConversation({ conversation_id: 'b' });
    expect(await h.session.processConversation({ conversation_id: 'c' })).toMatchObject({ reason: 'overloaded' });
  });

  it('rejects a request without a valid conversation_id (and does not throw)', async () => {
    const h = await connectedHarness();
    let thrown = false;
    let p: Promise<unknown> | undefined;
    try {
      p = h.session.processConversation({} as never);
    } catch {
      thrown = true;
    }
    expect(thrown).toBe(false);
    await expect(p).rejects.toSatisfy(isInvalidArgumentError);
  });

  it('rejects a request JSON cannot encode with InvalidArgumentError, not a TypeError', async () => {
    const h = await connectedHarness();
    const self: Record<string, unknown> = {};
    self.self = self;
    for (const bad of [
      { conversation_id: 'big', n: 1n },
      { conversation_id: 'cycle', self },
    ]) {
      await expect(h.session.processConversation(bad)).rejects.toSatisfy(isInvalidArgumentError);
    }
    expect(h.session.stats().pendingConversations).toBe(0);
    expect(h.dialer.lastConnection.sent).toHaveLength(0);
  });

  it('a fallback that did not process the conversation says so, in the outcome and in the metrics', async () => {
    const clock = new ManualScheduler();
    const fallback = new ConversationFallback({
      clock,
      concurrency: 1,
      maxQueued: 2,
      handler: (req) => {
        if (req.conversation_id === 'boom') throw new Error('local model down');
        return new Promise(() => {}); // hangs: its run times out
      },
      timeoutMs: 1_000,
      maxQueueWaitMs: 500,
    });
    const h = await connectedHarness({ clock, fallback });
    const viaPusher = h.session.processConversation({ conversation_id: 'ok' });
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'ok', success: true }));
    expect(await viaPusher).toEqual({ via: 'pusher', conversationId: 'ok', processed: true });
    h.breaker.set('open');
    const outcomes = ['boom', 'hang', 'waits', 'full'].map((id) =>
      h.session.processConversation({ conversation_id: id }),
    );
    await h.advance(1_000);
    const ended = await Promise.all(outcomes);
    expect(ended.map((o) => [o.conversationId, o.via === 'fallback' && o.status, o.processed])).toEqual([
      ['boom', 'failed', false],
      ['hang', 'timed_out', false],
      ['waits', 'expired', false],
      ['full', 'rejected', false],
    ]);
    const metric = await h.registry.getSingleMetricAsString('pusher_conversation_outcomes_total');
    for (const [via, status] of [
      ['pusher', 'succeeded'],
      ['fallback', 'failed'],
      ['fallback', 'timed_out'],
      ['fallback', 'expired'],
      ['fallback', 'rejected'],
    ]) {
      expect(metric).toMatch(new RegExp(`\\{(?=[^}]*via="${via}")(?=[^}]*status="${status}")[^}]*\\} 1`));
    }
    expect(metric).not.toMatch(/via="fallback"[^}]*status="succeeded"|status="succeeded"[^}]*via="fallback"/);
  });

  it('a bare handler runs on the session’s clock, and every request ends in bounded time', async () => {
    let started = 0;
    const h = harness({
      fallback: () => {
        started++;
        return new Promise(() => {}); // never settles, ignores its signal
      },
    });
    h.dialer.mode = 'fail';
    await h.session.start();
    const outcomes = Array.from({ length: 6 }, (_, i) => h.session.processConversation({ conversation_id: `c${i}` }));
    await h.advance(30_000); // the default timeout (run) and queue deadline (wait), on the manual clock
    const all = await Promise.all(outcomes);
    expect(all.map((o) => o.via === 'fallback' && o.status)).toEqual([
      ...Array(4).fill('timed_out'),
      ...Array(2).fill('expired'),
    ]);
    expect(started).toBe(4); // the default concurrency, never more
  });

  it('a shared fallback runs with bounded concurrency and a timeout', async () => {
    const clock = new ManualScheduler();
    let running = 0;
    let peak = 0;
    const fallback = new ConversationFallback({
      clock,
      concurrency: 2,
      timeoutMs: 5_000,
      handler: (_req, { signal }) =>
        new Promise((resolve) => {
          running++;
          peak = Math.max(peak, running);
          signal.addEventListener('abort', () => {
            running--;
            resolve('aborted');
          });
        }),
    });
    const h = harness({ clock, fallback });
    h.dialer.mode = 'fail';
    await h.session.start();
    const outcomes = Array.from({ length: 6 }, (_, i) => h.session.processConversation({ conversation_id: `c${i}` }));
    await h.advance(0);
    expect(peak).toBe(2);
    expect(fallback.queued).toBe(4);
    await h.advance(15_000);
    const all = await Promise.all(outcomes);
    expect(all.map((o) => o.via === 'fallback' && o.status)).toEqual(Array(6).fill('timed_out'));
    expect(peak).toBe(2);
  });
});
