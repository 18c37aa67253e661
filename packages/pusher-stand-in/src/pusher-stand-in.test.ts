import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PusherStandIn } from './pusher-stand-in.js';
import { Clients, failed, opened, until } from './test-support/ws-client.js';
import { frame } from './wire.js';

// Real sockets on loopback. No timing assertions: every wait is for an event.

let standIn: PusherStandIn;
const clients = new Clients();

beforeEach(async () => {
  standIn = await PusherStandIn.start();
});

afterEach(async () => {
  clients.terminateAll();
  await standIn.close();
});

const dial = (url = standIn.listenUrl('user 1')) => clients.dial(url);

const json = (opcode: number, body: unknown) => frame(opcode, Buffer.from(JSON.stringify(body)));

function audio(startTime: number, bytes: number): Buffer {
  const payload = Buffer.alloc(8 + bytes);
  payload.writeDoubleLE(startTime, 0);
  return frame(101, payload);
}

describe('PusherStandIn, healthy', () => {
  it('counts every opcode and answers 104 with a 201 success', async () => {
    const c = dial();
    await opened(c);
    c.ws.send(frame(100));
    c.ws.send(audio(1.5, 320));
    c.ws.send(json(102, { segments: [{ text: 'hi' }, { text: 'there' }], memory_id: 'm1' }));
    c.ws.send(frame(103, Buffer.from('conv-1')));
    c.ws.send(json(105, { person_id: 'p', conversation_id: 'conv-1', segment_ids: ['a'] }));
    c.ws.send(json(104, { conversation_id: 'conv-1', language: 'en' }));
    const answer = await c.next();
    expect(answer.readUInt32LE(0)).toBe(201);
    expect(JSON.parse(answer.subarray(4).toString())).toEqual({ conversation_id: 'conv-1', success: true });
    const stats = standIn.stats();
    expect(stats.framesByOpcode).toEqual({ 100: 1, 101: 1, 102: 1, 103: 1, 104: 1, 105: 1 });
    expect(stats.faultHits).toEqual({});
    expect(stats).toMatchObject({
      dials: 1,
      connections: 1,
      open: 1,
      audioBytes: 320,
      transcriptSegments: 2,
      conversationRequests: 1,
      conversationsProcessed: 1,
      malformedFrames: 0,
    });
    expect(standIn.processedConversations()).toEqual(new Map([['conv-1', 1]]));
  });

  it('answers pings and records the close code', async () => {
    const c = dial();
    await opened(c);
    const pong = new Promise<void>((resolve) => c.ws.once('pong', () => resolve()));
    c.ws.ping();
    await pong;
    c.ws.close(1000);
    await until(() => standIn.stats().closeCodes['1000'] === 1);
    expect(standIn.stats()).toMatchObject({ pings: 1, open: 0 });
  });

  it('counts malformed frames from the client and stays up', async () => {
    const c = dial();
    await opened(c);
    c.ws.send(Buffer.from([1, 2]));
    c.ws.send(frame(777));
    c.ws.send(frame(104, Buffer.from('{not json')));
    c.ws.send('text is not the protocol');
    c.ws.send(json(104, { conversation_id: 'ok' }));
    await c.next();
    expect(standIn.stats()).toMatchObject({ malformedFrames: 4, conversationsProcessed: 1 });
  });

  it('refuses a handshake on the wrong path or without uid and sample_rate', async () => {
    const wrongPath = dial(`${standIn.url}/nope?uid=u&sample_rate=16000`);
    const noUid = dial(`${standIn.url}/v1/trigger/listen?sample_rate=16000`);
    expect(String(await failed(wrongPath))).toContain('400');
    expect(String(await failed(noUid))).toContain('400');
    expect(standIn.stats()).toMatchObject({ dials: 2, connections: 0, badRequests: 2 });
  });
});

describe('PusherStandIn, faults', () => {
  it('refuse: counts the dial and resets it before any handshake', async () => {
    standIn.setFault({ kind: 'refuse' });
    const err = await failed(dial());
    expect(String(err)).toMatch(/ECONNRESET|socket hang up/);
    expect(standIn.stats()).toMatchObject({ dials: 1, refused: 1, connections: 0, faultHits: { refuse: 1 } });
  });

  it('reject: answers the upgrade with 503', async () => {
    standIn.setFault({ kind: 'reject' });
    expect(String(await failed(dial()))).toContain('503');
    expect(standIn.stats()).toMatchObject({ dials: 1, refused: 1, connections: 0, faultHits: { reject: 1 } });
  });

  it('hang: accepts, then answers neither pings nor 104s, on live connections too', async () => {
    const c = dial();
    await opened(c);
    standIn.setFault({ kind: 'hang' });
    let ponged = false;
    c.ws.on('pong', () => {
      ponged = true;
    });
    c.ws.ping();
    c.ws.send(json(104, { conversation_id: 'never' }));
    await until(() => standIn.stats().pings === 1 && standIn.stats().framesByOpcode['104'] === 1);
    // Healing the fault proves the connection still works: a second ping gets its pong.
    standIn.setFault({ kind: 'none' });
    const pong = new Promise<void>((resolve) => c.ws.once('pong', () => resolve()));
    c.ws.ping();
    await pong;
    expect(ponged).toBe(true); // only the second one
    expect(standIn.stats()).toMatchObject({ pings: 2, conversationRequests: 0, conversationsProcessed: 0 });
    expect(standIn.stats().faultHits).toEqual({ hang: 2 }); // the unanswered ping and the swallowed 104
    expect(c.received).toEqual([]);
  });

  it('hang with stallHandshakes: holds new handshakes unanswered, resets them when the fault changes', async () => {
    standIn.setFault({ kind: 'hang', stallHandshakes: true });
    const stalled = dial();
    let open = false;
    stalled.ws.once('open', () => {
      open = true;
    });
    const error = new Promise<Error>((resolve) => stalled.ws.once('error', resolve));
    await until(() => standIn.stats().stalledHandshakes === 1);
    expect(open).toBe(false);
    standIn.setFault({ kind: 'none' });
    expect(String(await error)).toMatch(/ECONNRESET|socket hang up/);
    expect(open).toBe(false);
    const next = dial();
    await opened(next);
    expect(standIn.stats()).toMatchObject({ dials: 2, stalledHandshakes: 1, connections: 1, faultHits: { hang: 1 } });
  });

  it('hang: refuses a stallHandshakes that is not a boolean', () => {
    expect(() => standIn.setFault({ kind: 'hang', stallHandshakes: 'yes' as unknown as boolean })).toThrow(
      /fault\.stallHandshakes: expected a boolean, got yes/,
    );
    expect(standIn.fault).toEqual({ kind: 'none' });
  });

  it('close: accepts then closes with 1011', async () => {
    standIn.setFault({ kind: 'close' });
    const c = dial();
    await opened(c);
    expect(await c.closed).toBe(1011);
    expect(standIn.stats().connections).toBe(1);
  });

  it('slow_accept: the handshake completes only after the delay', async () => {
    standIn.setFault({ kind: 'slow_accept', delayMs: 150 });
    const c = dial();
    let open = false;
    c.ws.once('open', () => {
      open = true;
    });
    await until(() => standIn.stats().dials === 1);
    expect(open).toBe(false);
    await until(() => open);
    expect(standIn.stats().connections).toBe(1);
  });

  it('process_error: answers 104 with an error', async () => {
    standIn.setFault({ kind: 'process_error', error: 'llm down' });
    const c = dial();
    await opened(c);
    c.ws.send(json(104, { conversation_id: 'c9' }));
    const answer = await c.next();
    expect(JSON.parse(answer.subarray(4).toString())).toEqual({ conversation_id: 'c9', error: 'llm down' });
    expect(standIn.stats()).toMatchObject({ conversationRequests: 1, conversationsProcessed: 0 });
  });

  it('drop_mid_stream: destroys the connection without a close frame after N frames', async () => {
    const c = dial();
    await opened(c);
    standIn.setFault({ kind: 'drop_mid_stream', afterFrames: 3 });
    for (let i = 0; i < 5; i++) c.ws.send(frame(100));
    expect(await c.closed).toBe(1006);
    expect(standIn.stats().framesByOpcode['100']).toBe(3);
  });

  it('malformed: answers 104 with broken frames and no 201', async () => {
    standIn.setFault({ kind: 'malformed' });
    const c = dial();
    await opened(c);
    c.ws.send(json(104, { conversation_id: 'c1' }));
    const frames = [await c.next(), await c.next(), await c.next(), await c.next()];
    expect(frames.map((f) => f.length)).toContain(2);
    expect(frames.filter((f) => f.length >= 4).map((f) => f.readUInt32LE(0))).toEqual([999, 201, 201]);
    expect(standIn.stats().conversationsProcessed).toBe(0);
  });

  it('going_away: a 1001 close to every live connection and to every new one at once', async () => {
    const live = dial();
    await opened(live);
    standIn.setFault({ kind: 'going_away' });
    expect(await live.closed).toBe(1001);
    const next = dial();
    await opened(next);
    expect(await next.closed).toBe(1001);
    await until(() => standIn.stats().open === 0);
    expect(standIn.stats()).toMatchObject({ connections: 2, closeCodes: { 1001: 2 }, faultHits: { going_away: 2 } });
  });

  it('going_away with holdClose: the client stays CLOSING, refusing sends, until the fault changes', async () => {
    const c = dial();
    await opened(c);
    let closedWith: number | undefined;
    void c.closed.then((code) => {
      closedWith = code;
    });
    standIn.setFault({ kind: 'going_away', holdClose: true });
    await until(() => c.ws.readyState === WebSocket.CLOSING);
    const refused = new Promise<Error | undefined>((resolve) => c.ws.send(frame(100), (err) => resolve(err)));
    expect(String(await refused)).toMatch(/CLOSING/);
    // A new connection is sent its 1001 at once, and held the same way.
    const other = dial();
    await opened(other);
    await until(() => other.ws.readyState === WebSocket.CLOSING);
    expect(closedWith).toBeUndefined();
    expect(c.ws.readyState).toBe(WebSocket.CLOSING);
    standIn.setFault({ kind: 'none' });
    expect([await c.closed, await other.closed]).toEqual([1001, 1001]);
    await until(() => standIn.stats().open === 0);
    expect(standIn.stats().faultHits).toEqual({ going_away: 2 });
  });

  it('going_away: refuses a holdClose that is not a boolean', () => {
    expect(() => standIn.setFault({ kind: 'going_away', holdClose: 1 as unknown as boolean })).toThrow(
      /fault\.holdClose: expected a boolean, got 1/,
    );
  });

  it('counts handshakes by User-Agent', async () => {
    const named = clients.dial(standIn.listenUrl('u'), { 'User-Agent': 'listen-test/1.0' });
    await opened(named);
    const bare = dial();
    await opened(bare);
    expect(standIn.stats().userAgents).toEqual({ 'listen-test/1.0': 1, '(none)': 1 });
  });

  it('dropAll, closeAll, sendMalformed and sendText reach every live connection', async () => {
    const a = dial();
    const b = dial();
    await Promise.all([opened(a), opened(b)]);
    expect(standIn.sendMalformed('short')).toBe(2);
    expect((await a.next()).length).toBe(2);
    expect(standIn.sendText('hello')).toBe(2);
    expect(standIn.closeAll(1011)).toBe(2);
    expect(await a.closed).toBe(1011);
    expect(await b.closed).toBe(1011);
    const c = dial();
    await opened(c);
    expect(standIn.dropAll()).toBe(1);
    expect(await c.closed).toBe(1006);
  });

  it('rejects a bad fault naming the field', () => {
    expect(() => standIn.setFault({ kind: 'explode' } as never)).toThrow(/fault.kind/);
    expect(() => standIn.setFault({ kind: 'slow_accept', delayMs: -1 })).toThrow(/fault.delayMs/);
    expect(() => standIn.setFault({ kind: 'close', code: 1006 })).toThrow(/fault.code/);
    expect(standIn.fault).toEqual({ kind: 'none' });
  });

  it('resetStats zeroes the counters', async () => {
    const c = dial();
    await opened(c);
    standIn.resetStats();
    expect(standIn.stats()).toMatchObject({ dials: 0, connections: 0, open: 1 });
  });
});
