import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { ConversationFallback } from '../conversation/conversation-fallback.js';
import { encodeConversationResult } from '../protocol/decode.js';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { harness } from '../testing/session-harness.js';
import { ManualScheduler } from '../time/manual-scheduler.js';

// What the app sends through a session: audio, transcripts, conversation ids,
// speaker samples and conversations, connected and not.

const json = (b: Buffer) => JSON.parse(b.subarray(4).toString('utf8'));

async function connected(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  h.dialer.mode = 'accept';
  await h.session.start();
  return h;
}

describe('audio', () => {
  it('sends 101 frames while connected', async () => {
    const h = await connected();
    expect(h.session.sendAudio(Buffer.alloc(640), 1.25)).toBe(true);
    const frame = h.dialer.lastConnection.sent[0] as Buffer;
    expect(frame.readUInt32LE(0)).toBe(101);
    expect(frame.readDoubleLE(4)).toBe(1.25);
    expect(frame.length).toBe(4 + 8 + 640);
  });

  it('drops (and counts chunks and bytes) while the socket is backed up', async () => {
    const h = await connected({ maxSocketBufferedBytes: 1_000 });
    h.dialer.lastConnection.bufferedAmount = 1_001;
    expect(h.session.sendAudio(Buffer.alloc(320), 0)).toBe(false);
    expect(h.session.stats()).toMatchObject({ audioDroppedChunks: 1, audioDroppedBytes: 320 });
    const metrics = await h.registry.getSingleMetricAsString('pusher_queue_dropped_bytes_total');
    expect(metrics).toContain('pusher_queue_dropped_bytes_total{queue="audio"} 320');
  });

  it('drops audio while not connected, never accumulates it', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    for (let i = 0; i < 1_000; i++) h.session.sendAudio(Buffer.alloc(3_200), i * 0.1);
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.session.state).toBe('connected');
    expect(h.dialer.lastConnection.opcodes.filter((o) => o === 101)).toHaveLength(0);
    expect(h.session.stats()).toMatchObject({ audioDroppedChunks: 1_000, audioDroppedBytes: 3_200_000 });
  });
});

describe('transcripts', () => {
  it('buffers while down (bounded, oldest dropped) and replays in order on reconnect', async () => {
    const h = harness({ transcriptBufferSize: 3 });
    h.dialer.mode = 'fail';
    await h.session.start();
    h.session.sendTranscript([{ t: 1 }, { t: 2 }], 'm1');
    h.session.sendTranscript([{ t: 3 }], 'm2');
    h.session.sendTranscript([{ t: 4 }], 'm2');
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 3, transcriptDropped: 1 });
    h.dialer.mode = 'accept';
    h.session.setConversation('conv-9');
    await h.advance(60_000);
    const conn = h.dialer.lastConnection;
    expect(conn.opcodes).toEqual([103, 102, 102]);
    expect(conn.sent[0]?.subarray(4).toString()).toBe('conv-9');
    expect(json(conn.sent[1] as Buffer)).toEqual({ segments: [{ t: 2 }], memory_id: 'm1' });
    expect(json(conn.sent[2] as Buffer)).toEqual({ segments: [{ t: 3 }, { t: 4 }], memory_id: 'm2' });
    expect(h.session.stats().transcriptBuffered).toBe(0);
    const drops = await h.registry.getSingleMetricAsString('pusher_queue_drops_total');
    expect(drops).toContain('pusher_queue_drops_total{queue="transcript"} 1');
  });

  it('sends at once while connected', async () => {
    const h = await connected();
    expect(h.session.sendTranscript([{ text: 'a' }])).toBe(true);
    expect(json(h.dialer.lastConnection.sent[0] as Buffer)).toEqual({ segments: [{ text: 'a' }] });
  });

  it('a memory id over 256 characters is dropped (counted) when sent, and never breaks the replay', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    h.session.sendTranscript([{ t: 1 }], 'm1');
    expect(h.session.sendTranscript([{ t: 2 }, { t: 3 }], 'x'.repeat(300))).toBe(false);
    h.session.sendTranscript([{ t: 4 }], 'm1');
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 2, transcriptDropped: 2 });
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.session.state).toBe('connected');
    expect(h.dialer.connections).toHaveLength(1);
    const conn = h.dialer.lastConnection;
    expect(conn.opcodes).toEqual([102]);
    expect(json(conn.sent[0] as Buffer)).toEqual({ segments: [{ t: 1 }, { t: 4 }], memory_id: 'm1' });
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 0, transcriptDropped: 2 });
  });

  it('a buffered batch that no longer encodes is dropped and counted; the rest is replayed', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    let calls = 0;
    // Serialises once (when buffered), then throws (at replay): the app mutated it meanwhile.
    const fickle = {
      toJSON: () => {
        if (++calls > 1) throw new Error('changed under us');
        return { t: 'fickle' };
      },
    };
    h.session.sendTranscript([{ t: 1 }], 'm1');
    h.session.sendTranscript([fickle], 'm2');
    h.session.sendTranscript([{ t: 3 }], 'm3');
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 3, transcriptDropped: 0 });
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(h.session.state).toBe('connected');
    const conn = h.dialer.lastConnection;
    expect(conn.sent.map((f) => json(f))).toEqual([
      { segments: [{ t: 1 }], memory_id: 'm1' },
      { segments: [{ t: 3 }], memory_id: 'm3' },
    ]);
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 0, transcriptDropped: 1 });
  });

  it('a connection lost mid-replay keeps what was not sent, in order, for the next one', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    for (let i = 0; i < 250; i++) h.session.sendTranscript([{ i }], 'm1');
    h.dialer.mode = 'manual';
    await h.advance(60_000);
    const conn = h.dialer.last.accept();
    const send = conn.send.bind(conn);
    conn.send = (frame) => {
      const ok = send(frame);
      conn.open = false; // dies after the first frame
      return ok;
    };
    await h.advance(0);
    expect(conn.sent).toHaveLength(1);
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 150, transcriptDropped: 0 });
    h.dialer.mode = 'accept';
    while (h.session.state !== 'connected') await h.clock.runNext();
    const replayed = h.dialer.lastConnection.sent.flatMap((f) => json(f).segments.map((s: { i: number }) => s.i));
    expect(replayed).toEqual(Array.from({ length: 150 }, (_, k) => k + 100));
  });

  it('bounds the buffer by bytes too: oldest dropped, a segment larger than the bound not kept', async () => {
    const h = harness({ transcriptBufferBytes: 100 });
    h.dialer.mode = 'fail';
    await h.session.start();
    const segment = (i: number) => ({ text: `${i}`.padStart(30, '.') }); // 41 bytes of JSON
    for (let i = 0; i < 5; i++) h.session.sendTranscript([segment(i)]);
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 2, transcriptDropped: 3 });
    h.session.sendTranscript([{ text: 'x'.repeat(200) }]);
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 2, transcriptDropped: 4 });
    const bytes = await h.registry.getSingleMetricAsString('pusher_queue_dropped_bytes_total');
    expect(bytes).toContain(`pusher_queue_dropped_bytes_total{queue="transcript"} ${3 * 41 + 211}`);
    h.dialer.mode = 'accept';
    await h.advance(60_000);
    expect(json(h.dialer.lastConnection.sent[0] as Buffer)).toEqual({ segments: [segment(3), segment(4)] });
  });

  it('close() while not connected counts the buffered segments it drops', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    h.session.sendTranscript([{ t: 1 }, { t: 2 }, { t: 3 }], 'm1');
    await h.session.close();
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 0, transcriptDropped: 3 });
    const drops = await h.registry.getSingleMetricAsString('pusher_queue_drops_total');
    expect(drops).toContain('pusher_queue_drops_total{queue="transcript"} 3');
  });

  it('keeps the 1,000 default bound', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    for (let i = 0; i < 1_500; i++) h.session.sendTranscript([{ i }]);
    expect(h.session.stats()).toMatchObject({ transcriptBuffered: 1_000, transcriptDropped: 500 });
  });
});

describe('conversation id and speaker samples', () => {
  it('sends 103 only when the id changes, and again after a reconnect', async () => {
    const h = await connected();
    h.session.setConversation('a');
    h.session.setConversation('a');
    h.session.setConversation('b');
    await h.advance(10_000);
    h.dialer.lastConnection.drop(1006);
    await h.advance(1_000);
    expect(h.dialer.connections[0]?.opcodes).toEqual([103, 103]);
    expect(h.dialer.lastConnection.opcodes[0]).toBe(103);
    expect(h.dialer.lastConnection.sent[0]?.subarray(4).toString()).toBe('b');
  });

  it('sends 105 while connected and drops it (counted) while not', async () => {
    const h = await connected();
    const sample = { person_id: 'p', conversation_id: 'c', segment_ids: ['s'] };
    expect(h.session.sendSpeakerSample(sample)).toBe(true);
    h.dialer.lastConnection.drop(1006);
    expect(h.session.sendSpeakerSample(sample)).toBe(false);
    expect(h.session.stats().speakerSamplesDropped).toBe(1);
  });
});

describe('conversations', () => {
  it('pusher answers: one outcome via pusher; a repeat shares it, even after it ended', async () => {
    const h = await connected();
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

  it('remembers ended outcomes for repeats, bounded by count and by age', async () => {
    const h = await connected({ rememberConversations: 2, rememberConversationsMs: 60_000 });
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
    const h = await connected();
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
    const h = await connected();
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
    const h = await connected();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    h.dialer.lastConnection.drop(1006);
    await h.advance(2_000); // a connection shorter than 10 s: second backoff step
    expect(h.session.state).toBe('connected');
    expect(h.dialer.lastConnection.opcodes).toEqual([104]);
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: true }));
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c1', processed: true });
  });

  it('in flight when the session degrades: handed to the fallback at once', async () => {
    const h = await connected();
    h.dialer.mode = 'fail';
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    h.breaker.set('open');
    h.dialer.lastConnection.drop(1006);
    expect(await outcome).toMatchObject({ via: 'fallback', reason: 'degraded' });
  });

  it('goes to the fallback when degraded, when the breaker is open, when closed', async () => {
    const breaker = new FakeBreaker();
    const h = await connected({ breaker });
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
    const h = await connected();
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
    const h = await connected();
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
    const h = await connected({ clock, fallback });
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

describe('never throws', () => {
  it('survives garbage from the app in every state', async () => {
    const h = harness();
    const garbage: unknown[] = [undefined, null, 42, 'x', {}, [], Buffer.alloc(3), Number.NaN, Symbol('s')];
    const poke = () => {
      for (const g of garbage) {
        h.session.sendAudio(g as never, g as never);
        h.session.sendAudio(Buffer.alloc(2), g as never);
        h.session.sendTranscript(g as never, g as never);
        h.session.setConversation(g as never);
        h.session.sendSpeakerSample(g as never);
        void h.session.processConversation(g as never).catch(() => {});
      }
    };
    expect(poke).not.toThrow();
    h.dialer.mode = 'accept';
    await h.session.start();
    expect(poke).not.toThrow();
    h.dialer.lastConnection.drop(1006);
    expect(poke).not.toThrow();
    await h.session.close();
    expect(poke).not.toThrow();
  });
});
