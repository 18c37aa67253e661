import { describe, expect, it } from 'vitest';
import { encodeConversationResult } from '../protocol/decode.js';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { FakeDialer } from '../testing/fake-dialer.js';
import { harness } from '../testing/session-harness.js';
import { DEFAULT_USER_AGENT } from '../transport/user-agent.js';

// Every transition of the reconnect loop with the default numbers, on a manual
// clock: assertions are on sequences and counts, never on elapsed wall time.

describe('PusherSession: first connect', () => {
  it('connects: idle → connecting → connected, one dial to the listen URL', async () => {
    const h = harness({ uid: 'user 1/é' });
    const started = h.session.start();
    await h.advance(0);
    expect(h.session.state).toBe('connecting');
    h.dialer.last.accept();
    await started;
    expect(h.states).toEqual(['connecting', 'connected']);
    expect(h.dialer.last.url).toBe('ws://pusher.test/v1/trigger/listen?uid=user%201%2F%C3%A9&sample_rate=16000');
    expect(h.dialer.last.options).toEqual({ userAgent: DEFAULT_USER_AGENT });
    // A success for the breaker once the connection has lasted probeConfirmMs (1 s).
    await h.advance(999);
    expect(h.breaker.successes).toBe(0);
    await h.advance(1);
    expect([h.breaker.successes, h.breaker.failures]).toEqual([1, 0]);
  });

  it('a failed first connect resolves start() and starts degraded; app calls keep working', async () => {
    const h = harness();
    h.dialer.mode = 'fail';
    await h.session.start();
    expect(h.states).toEqual(['connecting', 'degraded']);
    expect(h.breaker.failures).toBe(1);
    expect(() => {
      h.session.sendAudio(Buffer.alloc(320), 0);
      h.session.sendTranscript([{ text: 'hello' }], 'm1');
      h.session.setConversation('c1');
    }).not.toThrow();
    expect(h.session.stats()).toMatchObject({ audioDroppedChunks: 1, audioDroppedBytes: 320, transcriptBuffered: 1 });
    expect(await h.session.processConversation({ conversation_id: 'c1' })).toMatchObject({
      via: 'fallback',
      reason: 'degraded',
      status: 'succeeded',
      result: 'fallback-done',
    });
  });

  it('start() resolves after the 3 s connect timeout when pusher never answers', async () => {
    const h = harness();
    let resolved = false;
    void h.session.start().then(() => {
      resolved = true;
    });
    await h.advance(2_999);
    expect(resolved).toBe(false);
    expect(h.dialer.last.aborted).toBe(false);
    await h.advance(1);
    expect(resolved).toBe(true);
    expect(h.dialer.last.aborted).toBe(true);
    expect(h.session.state).toBe('degraded');
    const metric = await h.registry.getSingleMetricAsString('pusher_reconnect_attempts_total');
    expect(metric).toContain('pusher_reconnect_attempts_total{result="timeout"} 1');
  });

  it('does not dial while the breaker is open: starts degraded, counts the rejection', async () => {
    const breaker = new FakeBreaker();
    breaker.set('open');
    const h = harness({ breaker });
    await h.session.start();
    expect(h.dialer.dials).toHaveLength(0);
    expect(h.states).toEqual(['degraded']);
    expect(await h.registry.getSingleMetricAsString('pusher_circuit_breaker_rejections_total')).toContain(
      'pusher_circuit_breaker_rejections_total 1',
    );
  });
});

/** Connects a harness and returns it, with every later dial failing at once. */
async function connectedThenFailing(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  h.dialer.mode = 'accept';
  await h.session.start();
  h.dialer.mode = 'fail';
  return h;
}

describe('PusherSession: the reconnect loop', () => {
  it('backs off 1 s doubling, 3 quick retries (250 ms doubling) per attempt, degraded after the 6th attempt', async () => {
    const h = await connectedThenFailing();
    await h.advance(10_000); // stable
    const t0 = h.elapsed();
    h.dialer.lastConnection.drop(1006);
    await h.advance(0);
    expect(h.session.state).toBe('reconnect_backoff');
    await h.advance(120_000);
    const dials = h
      .dialTimes()
      .slice(1)
      .map((t) => t - t0);
    // attempt k starts after its backoff; its dials are at +0, +250, +750, +1750.
    const starts = [1_000, 4_750, 10_500, 20_250, 38_000, 71_750];
    expect(dials).toEqual(starts.flatMap((s) => [s, s + 250, s + 750, s + 1_750]));
    expect(h.states).toEqual([
      'connecting',
      'connected',
      'reconnect_backoff',
      ...Array.from({ length: 5 }, () => ['connecting', 'reconnect_backoff']).flat(),
      'connecting',
      'degraded',
    ]);
    expect(h.causes.at(-1)).toBe('attempts_exhausted');
    expect(h.breaker.failures).toBe(1 + 24); // the drop, then every dial
  });

  it('caps the backoff at 60 s', async () => {
    const h = await connectedThenFailing({ degradeAfterFailures: 10, quickRetries: 0 });
    await h.advance(10_000);
    const t0 = h.elapsed();
    h.dialer.lastConnection.drop(1011);
    await h.advance(600_000);
    const dials = h
      .dialTimes()
      .slice(1, 11)
      .map((t) => t - t0);
    const gaps = dials.map((t, i) => t - (dials[i - 1] ?? 0));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
    expect(h.session.state).toBe('degraded');
  });

  it('jitter only shortens a backoff, by at most the jitter fraction', async () => {
    const h = await connectedThenFailing({ random: () => 0.999, quickRetries: 0 });
    await h.advance(10_000);
    const t0 = h.elapsed();
    h.dialer.lastConnection.drop(1006);
    await h.advance(3_000);
    const first = (h.dialTimes()[1] as number) - t0;
    expect(first).toBeGreaterThanOrEqual(500);
    expect(first).toBeLessThan(1_000);
  });

  it('records each dial once: accepted then closed within probeConfirmMs is one failure, no success', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    await h.advance(10_000);
    expect([h.breaker.successes, h.breaker.failures]).toEqual([1, 0]);
    for (let i = 0; i < 3; i++) {
      h.dialer.lastConnection.drop(1011); // 1 + 2 failures: the first drop is of a confirmed connection
      while (h.session.state !== 'connected') await h.clock.runNext();
    }
    h.dialer.lastConnection.drop(1000); // even a clean close, so soon, is not a working pusher
    await h.advance(0);
    expect(h.dialer.dials).toHaveLength(4);
    expect([h.breaker.successes, h.breaker.failures]).toEqual([1, 4]);
  });

  it('reconnects after a drop and counts a connection shorter than 10 s as a failed attempt', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    // pusher accepts, then drops each connection at once (the close-1011 fault): it must still degrade.
    for (let i = 0; i < 5; i++) {
      h.dialer.lastConnection.drop(1011);
      while (h.session.state !== 'connected') await h.clock.runNext();
    }
    h.dialer.lastConnection.drop(1011);
    await h.advance(0);
    expect(h.session.state).toBe('degraded');
    expect(h.session.status).toMatchObject({ value: 'degraded', failures: 6 });
    expect(h.dialer.dials).toHaveLength(6);
  });

  it('a connection that lasted past stableConnectionMs resets the failure count', async () => {
    const h = await connectedThenFailing();
    await h.advance(10_000);
    h.dialer.lastConnection.drop(1006);
    await h.advance(0);
    expect(h.session.status).toMatchObject({ value: 'reconnect_backoff', failures: 0 });
  });

  it('degrades at once when the breaker opens during backoff, and never dials while it is open', async () => {
    const h = await connectedThenFailing();
    await h.advance(10_000);
    h.dialer.lastConnection.drop(1006);
    await h.advance(0);
    h.breaker.set('open');
    const dialsBefore = h.dialer.dials.length;
    await h.advance(600_000);
    expect(h.dialer.dials.length).toBe(dialsBefore);
    expect(h.session.state).toBe('degraded');
    expect(h.causes).toContain('breaker_open');
  });

  it('only the loop reconnects: many failed sends while down make no dial', async () => {
    const h = await connectedThenFailing();
    await h.advance(10_000);
    const conn = h.dialer.lastConnection;
    conn.open = false; // the socket died under the senders
    for (let i = 0; i < 100; i++) h.session.sendAudio(Buffer.alloc(2), i);
    for (let i = 0; i < 100; i++) h.session.sendTranscript([{ i }]);
    expect(h.dialer.dials).toHaveLength(1);
    expect(h.session.state).toBe('reconnect_backoff');
    await h.advance(1_000);
    expect(h.dialer.dials).toHaveLength(2);
  });
});

describe('PusherSession: liveness', () => {
  it('sends a heartbeat frame every 20 s and a ping every 20 s', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    const conn = h.dialer.lastConnection;
    for (let i = 0; i < 3; i++) {
      await h.advance(20_000);
      conn.pong();
    }
    expect(conn.opcodes.filter((o) => o === 100)).toHaveLength(3);
    expect(conn.pings).toBe(3);
    expect(h.session.state).toBe('connected');
  });

  it('terminates a silent pusher 10 s after an unanswered ping and reconnects', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    const conn = h.dialer.lastConnection;
    conn.answerPings = false;
    await h.advance(29_999);
    expect(h.session.state).toBe('connected');
    await h.advance(1);
    expect(conn.terminated).toBe(true);
    expect(h.session.state).toBe('reconnect_backoff');
    expect(h.breaker.failures).toBe(1);
    expect(await h.registry.getSingleMetricAsString('pusher_connection_losses_total')).toContain(
      'reason="pong_timeout"} 1',
    );
  });

  it('a heartbeat or ping that throws marks the connection lost instead of escaping the timer', async () => {
    for (const broken of ['send', 'ping'] as const) {
      const h = harness();
      h.dialer.mode = 'accept';
      await h.session.start();
      h.dialer.lastConnection[broken] = () => {
        throw new Error('socket torn down');
      };
      await expect(h.advance(20_000)).resolves.toBeUndefined();
      expect(h.session.state).toBe('reconnect_backoff');
    }
  });

  it('a failed heartbeat send marks the connection lost', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    h.dialer.lastConnection.open = false;
    await h.advance(20_000);
    expect(h.session.state).toBe('reconnect_backoff');
  });
});

describe('PusherSession: malformed frames and close', () => {
  it('counts malformed frames and stays connected', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    const conn = h.dialer.lastConnection;
    conn.receive(Buffer.from([1]));
    conn.receive(Buffer.from('text'), false);
    conn.receive(Buffer.from([0xe7, 3, 0, 0]));
    const bad = Buffer.from('xxxx{nope');
    bad.writeUInt32LE(201, 0);
    conn.receive(bad);
    expect(h.session.stats().malformedFrames).toBe(4);
    expect(h.session.state).toBe('connected');
    expect(await h.registry.getSingleMetricAsString('pusher_malformed_frames_total')).toContain('reason="bad_json"} 1');
  });

  it('close() closes with 1000, ends closed, and stops dialing', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    await h.session.close();
    expect(h.dialer.lastConnection.closedWith).toBe(1000);
    expect(h.session.state).toBe('closed');
    expect(h.breaker.listeners).toBe(0);
    await h.advance(600_000);
    expect(h.dialer.dials).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
  });

  it('start() twice shares one first connect', async () => {
    const h = harness();
    const a = h.session.start();
    const b = h.session.start();
    await h.advance(0);
    h.dialer.last.accept();
    await Promise.all([a, b]);
    expect(h.dialer.dials).toHaveLength(1);
    expect(h.session.state).toBe('connected');
  });

  it('close() during a dial aborts it; close() twice is fine', async () => {
    const h = harness();
    void h.session.start();
    await h.advance(0);
    await Promise.all([h.session.close(), h.session.close()]);
    expect(h.dialer.last.aborted).toBe(true);
    expect(h.session.state).toBe('closed');
  });

  it('close() waits for answers to conversations already sent, up to closeTimeoutMs', async () => {
    const h = harness();
    h.dialer.mode = 'accept';
    await h.session.start();
    const outcome = h.session.processConversation({ conversation_id: 'c1' });
    const closed = h.session.close();
    await h.advance(500);
    h.dialer.lastConnection.receive(encodeConversationResult({ conversationId: 'c1', success: true }));
    await closed;
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c1', processed: true });
  });

  it('gauges sessions by state across a shared registry', async () => {
    const dialer = new FakeDialer();
    dialer.mode = 'accept';
    const a = harness({ dialer });
    const b = harness({ dialer, registry: a.registry });
    await a.session.start();
    await b.session.start();
    await b.session.close();
    const gauge = await a.registry.getSingleMetricAsString('pusher_sessions');
    expect(gauge).toContain('pusher_sessions{state="connected"} 1');
    expect(gauge).toContain('pusher_sessions{state="idle"} 0');
    // A closed session leaves the gauge: it does not pile up under state="closed".
    expect(gauge).not.toContain('state="closed"');
    const total = [...gauge.matchAll(/^pusher_sessions\{[^}]*\} (-?\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(1);
  });
});
