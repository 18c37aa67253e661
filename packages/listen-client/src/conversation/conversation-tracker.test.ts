import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PusherMetrics } from '../metrics/pusher-metrics.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { ConversationFallback } from './conversation-fallback.js';
import { ConversationTracker } from './conversation-tracker.js';

function tracker() {
  const clock = new ManualScheduler();
  const fallback = new ConversationFallback({ handler: () => 'local', clock });
  const t = new ConversationTracker({
    clock,
    fallback,
    metrics: PusherMetrics.for(new Registry()),
    timeoutMs: 30_000,
    rememberCompleted: 1_000,
    rememberCompletedMs: 600_000,
  });
  return { clock, t };
}

const ids = (frames: Buffer[]) => frames.map((f) => JSON.parse(f.subarray(4).toString()).conversation_id);

describe('ConversationTracker', () => {
  it('sends only what is queued, re-sends what was in flight first after a drop, and counts in flight', () => {
    const { t } = tracker();
    const sent: Buffer[] = [];
    const send = (f: Buffer) => {
      sent.push(f);
      return true;
    };
    for (const id of ['a', 'b']) void t.add({ conversation_id: id });
    t.sendQueued(send);
    expect(t.inFlight).toBe(2);
    t.sendQueued(send); // nothing queued: nothing sent again
    expect(ids(sent)).toEqual(['a', 'b']);
    void t.add({ conversation_id: 'c' }); // queued while the connection is gone
    t.requeueSent();
    expect(t.inFlight).toBe(0);
    t.sendQueued(send);
    expect(ids(sent)).toEqual(['a', 'b', 'a', 'b', 'c']);
    expect([t.inFlight, t.size]).toEqual([3, 3]);
  });

  it('a refused send leaves that conversation and the rest queued, in order', () => {
    const { t } = tracker();
    for (const id of ['a', 'b', 'c']) void t.add({ conversation_id: id });
    let budget = 1;
    const sent: Buffer[] = [];
    t.sendQueued((f) => budget-- > 0 && sent.push(f) > 0);
    expect(ids(sent)).toEqual(['a']);
    t.sendQueued((f) => sent.push(f) > 0);
    expect(ids(sent)).toEqual(['a', 'b', 'c']);
  });

  it('an answer ends a sent conversation once; failover hands the rest to the fallback', async () => {
    const { t, clock } = tracker();
    const a = t.add({ conversation_id: 'a' });
    const b = t.add({ conversation_id: 'b' });
    t.sendQueued(() => true);
    expect(t.answer({ conversationId: 'a', success: true })).toBe(true);
    expect(t.answer({ conversationId: 'a', success: true })).toBe(false);
    t.failover('degraded');
    expect(t.inFlight).toBe(0);
    await clock.advance(0);
    expect(await a).toMatchObject({ via: 'pusher', processed: true });
    expect(await b).toMatchObject({ via: 'fallback', reason: 'degraded', processed: true, result: 'local' });
    expect([t.size, t.remembered, t.lateAnswers]).toEqual([0, 2, 1]);
  });
});
