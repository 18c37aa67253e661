import { describe, expect, it } from 'vitest';
import { connectedHarness, harness } from '../testing/session-harness.js';

// What the app streams through a session: audio, transcripts, conversation ids and
// speaker samples, connected and not (conversations: pusher-session-conversations.test.ts).

const json = (b: Buffer) => JSON.parse(b.subarray(4).toString('utf8'));

describe('audio', () => {
  it('sends 101 frames while connected', async () => {
    const h = await connectedHarness();
    expect(h.session.sendAudio(Buffer.alloc(640), 1.25)).toBe(true);
    const frame = h.dialer.lastConnection.sent[0] as Buffer;
    expect(frame.readUInt32LE(0)).toBe(101);
    expect(frame.readDoubleLE(4)).toBe(1.25);
    expect(frame.length).toBe(4 + 8 + 640);
  });

  it('drops (and counts chunks and bytes) while the socket is backed up', async () => {
    const h = await connectedHarness({ maxSocketBufferedBytes: 1_000 });
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
    const h = await connectedHarness();
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
    const h = await connectedHarness();
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
    const h = await connectedHarness();
    const sample = { person_id: 'p', conversation_id: 'c', segment_ids: ['s'] };
    expect(h.session.sendSpeakerSample(sample)).toBe(true);
    h.dialer.lastConnection.drop(1006);
    expect(h.session.sendSpeakerSample(sample)).toBe(false);
    expect(h.session.stats().speakerSamplesDropped).toBe(1);
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
