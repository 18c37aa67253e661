import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { encodeConversationResult } from '../protocol/decode.js';
import { connectedHarness, type Harness, harness } from '../testing/session-harness.js';

// pusher closing a connection: a deploy (1001 "going away" to every connection, the
// socket CLOSING until the TCP connection goes), a 1000, and what the breaker
// hears of each. On a manual clock and a fake dialer; assertions on sequences and counts.

async function losses(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('pusher_connection_losses_total');
  const values = metric ? (await metric.get()).values : [];
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
}

const heard = (h: Harness) => ({ successes: h.breaker.successes, failures: h.breaker.failures });

/** Connected, proven (probeConfirmMs) and stable (stableConnectionMs): a streaming session. */
async function streaming(): Promise<Harness> {
  const h = await connectedHarness();
  await h.advance(10_000);
  expect(heard(h)).toEqual({ successes: 1, failures: 0 });
  return h;
}

describe('PusherSession: pusher’s close frame arrives (a deploy)', () => {
  it('sends refused while the socket is closing are drops, not a lost connection; the 1001 that follows is no failure', async () => {
    const h = await streaming();
    h.session.setConversation('conv-1');
    const conn = h.dialer.lastConnection;
    conn.beginClose();

    expect(h.session.sendAudio(Buffer.alloc(640), 1)).toBe(false);
    expect(h.session.sendTranscript([{ text: 'kept' }], 'mem-1')).toBe(false);
    expect(h.session.sendSpeakerSample({ person_id: 'p', conversation_id: 'conv-1', segment_ids: [] })).toBe(false);
    h.session.setConversation('conv-2');
    const outcome = h.session.processConversation({ conversation_id: 'c-1' });
    await h.advance(20_000); // the heartbeat is refused too
    expect(h.session.state).toBe('connected');
    expect(conn.terminated).toBe(false);
    expect(h.session.stats()).toMatchObject({
      audioDroppedChunks: 1,
      speakerSamplesDropped: 1,
      transcriptBuffered: 1,
      pendingConversations: 1,
    });
    expect(await losses(h.registry)).toEqual({});

    conn.drop(1001); // the TCP connection is gone: the close event, with pusher's code
    await h.advance(0);
    expect(h.session.status).toMatchObject({ value: 'reconnect_backoff', failures: 0 });
    expect(h.causes.at(-1)).toBe('closed');
    expect(await losses(h.registry)).toEqual({ closed: 1 });
    expect(heard(h)).toEqual({ successes: 1, failures: 0 });

    // Back on the next pusher: the conversation id, the kept transcript and the request follow.
    await h.advance(1_000);
    expect(h.session.state).toBe('connected');
    expect(h.dialer.lastConnection.opcodes).toEqual([103, 102, 104]);
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c-1', success: true }));
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c-1', processed: true });
    await h.advance(1_000);
    expect(heard(h)).toEqual({ successes: 2, failures: 0 });
  });

  it('a closing socket that ends without a clean close is a failure, counted as dropped', async () => {
    const h = await streaming();
    const conn = h.dialer.lastConnection;
    conn.beginClose(); // ws is CLOSING on a socket error too
    expect(h.session.sendAudio(Buffer.alloc(640), 1)).toBe(false);
    expect(h.session.state).toBe('connected');
    conn.drop(1006);
    await h.advance(0);
    expect(h.session.state).toBe('reconnect_backoff');
    expect(await losses(h.registry)).toEqual({ dropped: 1 });
    expect(heard(h)).toEqual({ successes: 1, failures: 1 });
  });

  it('a send refused by a socket that is not closing is still a failed send: the socket is destroyed', async () => {
    const h = await streaming();
    const conn = h.dialer.lastConnection;
    conn.open = false;
    expect(h.session.sendAudio(Buffer.alloc(640), 1)).toBe(false);
    expect(h.session.state).toBe('reconnect_backoff');
    expect(conn.terminated).toBe(true);
    expect(await losses(h.registry)).toEqual({ send_failed: 1 });
    expect(heard(h)).toEqual({ successes: 1, failures: 1 });
  });

  it('a clean close (1000, 1001, 1005 without a code, 1012 service restart) of a connection in use is no failure; the session reconnects after its backoff', async () => {
    for (const code of [1000, 1001, 1005, 1012]) {
      const h = await streaming();
      h.dialer.lastConnection.drop(code);
      await h.advance(0);
      expect(h.session.status).toMatchObject({ value: 'reconnect_backoff', failures: 0 });
      await h.advance(999);
      expect(h.dialer.dials).toHaveLength(1);
      await h.advance(1);
      expect(h.dialer.dials).toHaveLength(2);
      expect(h.session.state).toBe('connected');
      expect(heard(h)).toEqual({ successes: 1, failures: 0 });
    }
  });
});

describe('PusherSession: 1001 within the confirm window', () => {
  /** Drops the connection in use with `code` within its confirm window, then reconnects. */
  async function closeEarly(h: Harness, code: number): Promise<void> {
    await h.advance(500);
    h.dialer.lastConnection.drop(code);
    while (h.session.state !== 'connected') await h.clock.runNext();
  }

  it('is excused once — no verdict — and again only after a connection has proved itself', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    await closeEarly(h, 1001); // landed on a pod that is going away: nothing
    expect(heard(h)).toEqual({ successes: 0, failures: 0 });
    await closeEarly(h, 1001); // and again, with nothing proved since: pusher keeps going away
    expect(heard(h)).toEqual({ successes: 0, failures: 1 });
    await closeEarly(h, 1001);
    expect(heard(h)).toEqual({ successes: 0, failures: 2 });
    await h.advance(1_000); // this one proves itself
    expect(heard(h)).toEqual({ successes: 1, failures: 2 });
    h.dialer.lastConnection.drop(1001); // a deploy: nothing
    while (h.session.state !== 'connected') await h.clock.runNext();
    await closeEarly(h, 1001); // the next pod to go, right after the reconnect: excused again
    expect(heard(h)).toEqual({ successes: 1, failures: 2 });
    await closeEarly(h, 1000); // a 1000 so soon is a failure, excuse or not
    expect(heard(h)).toEqual({ successes: 1, failures: 3 });
    expect(h.dialer.dials).toHaveLength(7);
  });

  it('still counts as a failed attempt for the session: a pusher that always goes away degrades it', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    for (let i = 0; i < 5; i++) await closeEarly(h, 1001);
    h.dialer.lastConnection.drop(1001);
    await h.advance(0);
    expect(h.session.status).toMatchObject({ value: 'degraded', failures: 6 });
    expect(heard(h)).toEqual({ successes: 0, failures: 5 });
  });

  it('a lease probe that lands on a pusher going away reports nothing: the lease expires, another probe follows', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    h.dialer.mode = 'accept';
    h.breaker.set('half_open');
    await h.advance(0);
    expect(h.session.status).toMatchObject({ value: 'connected' });
    await h.advance(500);
    h.dialer.lastConnection.drop(1001);
    await h.advance(0);
    expect(h.session.state).toBe('degraded');
    expect(h.breaker.reports).toEqual([]);
    expect(h.breaker.heldLease?.token).toBe('t1');
    await h.advance(72_000); // the pod still holds the unreported lease: no probe
    expect(h.dialer.dials).toHaveLength(2);
    h.breaker.expireLease();
    await h.advance(72_000);
    expect(h.dialer.dials).toHaveLength(3);
    await h.advance(1_000);
    expect(h.breaker.reports).toEqual([{ token: 't1.2', outcome: 'success' }]);
  });
});
