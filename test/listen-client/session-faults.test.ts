import {
  type ConnectionEvents,
  type ConversationOutcome,
  DEFAULT_USER_AGENT,
  type DialOptions,
  type PusherSession,
  wsDialer,
} from '@breakwater/listen-client';
import { ManualScheduler } from '@breakwater/listen-client/testing';
import { type PusherFault, PusherStandIn } from '@breakwater/pusher-stand-in';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { addSession, DialLog, type Pod, pumpUntil, startPod, waitFor } from './support.js';

// One session against the pusher stand-in over real sockets, gated by a real
// ClusterBreaker on a real Redis. Faults are injected for real by the stand-in.
// Session timers run on a manual clock; waits are for events, never timed.

let redis: TestRedis;
let pusher: PusherStandIn;
let pod: Pod;
let clock: ManualScheduler;
let dials: DialLog;
let testNo = 0;
// Liveness off unless a test is about it: pongs travel in real time, the clock does not.
const QUIET = { pingIntervalMs: 3_600_000, heartbeatIntervalMs: 3_600_000 };

beforeAll(async () => {
  redis = await acquireRedis('listen-faults');
  pusher = await PusherStandIn.start();
});

afterAll(async () => {
  await pusher.close();
  await redis.release();
});

beforeEach(async () => {
  pusher.setFault({ kind: 'none' });
  pusher.dropAll();
  await waitFor(() => pusher.stats().open === 0, 'the connections of the previous test to go');
  pusher.resetStats();
  clock = new ManualScheduler();
  dials = new DialLog();
  pod = await startPod('pod-a', redis.url, `${redis.prefix}t${++testNo}`);
});

afterEach(async () => {
  for (const s of pod.sessions) await s.close();
  await pod.breaker.close();
});

function session(options: Parameters<typeof addSession>[4] = {}): PusherSession {
  return addSession(pod, pusher.url, clock, dials, { ...QUIET, ...options });
}

describe('listen-client against the pusher stand-in', () => {
  it('speaks the protocol: every opcode arrives, 104 is answered by 201', async () => {
    const s = session({ heartbeatIntervalMs: 20_000 });
    await s.start();
    expect(s.state).toBe('connected');
    s.setConversation('conv-1');
    expect(s.sendAudio(Buffer.alloc(640), 0.5)).toBe(true);
    expect(s.sendTranscript([{ text: 'hi' }, { text: 'there' }], 'mem-1')).toBe(true);
    expect(s.sendSpeakerSample({ person_id: 'p1', conversation_id: 'conv-1', segment_ids: ['s1'] })).toBe(true);
    const outcome = await s.processConversation({ conversation_id: 'conv-1', language: 'en' });
    expect(outcome).toEqual({ via: 'pusher', conversationId: 'conv-1', processed: true });
    await clock.advance(20_000);
    await waitFor(() => pusher.stats().framesByOpcode['100'] === 1, 'a heartbeat frame');
    expect(pusher.stats()).toMatchObject({
      connections: 1,
      framesByOpcode: { 100: 1, 101: 1, 102: 1, 103: 1, 104: 1, 105: 1 },
      audioBytes: 640,
      transcriptSegments: 2,
      malformedFrames: 0,
    });
    expect(pusher.processedConversations()).toEqual(new Map([['conv-1', 1]]));
    expect(pusher.stats().userAgents).toEqual({ [DEFAULT_USER_AGENT]: 1 });
    await s.close();
    await waitFor(() => pusher.stats().closeCodes['1000'] === 1, 'a 1000 close');
  });

  it('names itself to pusher: the default User-Agent, or the one the app gives', async () => {
    await session().start();
    await session({ userAgent: `${DEFAULT_USER_AGENT} listen/2.3.1` }).start();
    expect(DEFAULT_USER_AGENT).toBe(`breakwater-listen-client/0.1.0 (node/${process.versions.node})`);
    expect(pusher.stats().userAgents).toEqual({
      [DEFAULT_USER_AGENT]: 1,
      [`${DEFAULT_USER_AGENT} listen/2.3.1`]: 1,
    });
  });

  it('refuse: a failed first connect starts degraded, app calls keep working, recovery replays transcripts', async () => {
    pusher.setFault({ kind: 'refuse' });
    const s = session();
    await s.start();
    expect(s.state).toBe('degraded');
    expect(pusher.stats()).toMatchObject({ dials: 1, connections: 0 });
    expect(s.sendAudio(Buffer.alloc(320), 0)).toBe(false);
    expect(s.sendTranscript([{ text: 'kept' }])).toBe(false);
    s.setConversation('conv-2');
    expect(await s.processConversation({ conversation_id: 'c-down' })).toMatchObject({
      via: 'fallback',
      reason: 'degraded',
      result: 'fallback:c-down',
    });
    pusher.setFault({ kind: 'none' });
    await pumpUntil(clock, dials, 5_000, () => s.state === 'connected', 'the degraded probe to reconnect');
    await waitFor(() => pusher.stats().transcriptSegments === 1, 'the buffered transcript replayed');
    expect(pusher.stats().framesByOpcode['103']).toBe(1);
    expect(s.stats()).toMatchObject({ audioDroppedChunks: 1, audioDroppedBytes: 320, transcriptBuffered: 0 });
    expect(dials.records.map((d) => d.state)).toEqual(['closed', 'closed']);
  });

  it('hang: a pusher that stops answering pings is detected and its socket terminated', async () => {
    let pongs = 0;
    const s = session({
      pingIntervalMs: 20_000,
      pongTimeoutMs: 10_000,
      dialer: (url, events, options) => wsDialerWithPongs(url, events, options, () => pongs++),
    });
    await s.start();
    await clock.advance(20_000);
    await waitFor(() => pongs === 1, 'the first pong');
    pusher.setFault({ kind: 'hang' });
    await clock.advance(20_000);
    await waitFor(() => pusher.stats().pings === 2, 'the second ping to reach pusher');
    expect(s.state).toBe('connected');
    await clock.advance(10_000);
    expect(s.state).toBe('reconnect_backoff');
    await waitFor(() => pusher.stats().open === 0, 'pusher to see the socket go');
    expect({ pongs, closeCodes: pusher.stats().closeCodes }).toEqual({ pongs: 1, closeCodes: { 1006: 1 } });
  });

  it('close 1011: each new connection is closed at once; the session counts them as failures and degrades', async () => {
    const s = session();
    await s.start();
    pusher.setFault({ kind: 'close', code: 1011 });
    pusher.closeAll(1011);
    await pumpUntil(clock, dials, 500, () => s.state === 'degraded', 'the session to degrade');
    // 1 first connect + one accepted-then-closed connection per failed attempt (flapping, not progress).
    expect(pusher.stats().connections).toBeGreaterThanOrEqual(6);
    expect(s.status).toMatchObject({ value: 'degraded', failures: 6 });
  });

  it('slow accept: a handshake slower than the 3 s connect timeout fails the dial', async () => {
    pusher.setFault({ kind: 'slow_accept', delayMs: 60_000 });
    const s = session();
    const started = s.start();
    await waitFor(() => pusher.stats().dials === 1, 'the dial to reach pusher');
    await clock.advance(2_999);
    expect(s.state).toBe('connecting');
    await clock.advance(1);
    await started;
    expect(s.state).toBe('degraded');
    expect(pusher.stats().connections).toBe(0);
  });

  it('104 answered with an error: the conversation goes to the fallback', async () => {
    pusher.setFault({ kind: 'process_error', error: 'llm unavailable' });
    const s = session();
    await s.start();
    expect(await s.processConversation({ conversation_id: 'c-err' })).toMatchObject({
      via: 'fallback',
      reason: 'pusher_error',
      pusherError: 'llm unavailable',
      status: 'succeeded',
    });
  });

  it('drop mid-stream: the conversation in flight is re-sent after the reconnect and ends once', async () => {
    const s = session();
    await s.start();
    pusher.setFault({ kind: 'drop_mid_stream', afterFrames: 1 });
    const outcome = s.processConversation({ conversation_id: 'c-drop' });
    await waitFor(() => s.state === 'reconnect_backoff', 'the drop');
    pusher.setFault({ kind: 'none' });
    await pumpUntil(clock, dials, 250, () => s.state === 'connected', 'the reconnect');
    expect(await outcome).toEqual({ via: 'pusher', conversationId: 'c-drop', processed: true });
    expect(pusher.processedConversations()).toEqual(new Map([['c-drop', 1]]));
    expect(pusher.stats().framesByOpcode['104']).toBe(2);
  });

  it('malformed frames: counted, the session stays connected, the unanswered conversation falls back', async () => {
    pusher.setFault({ kind: 'malformed' });
    const s = session();
    await s.start();
    const outcome = s.processConversation({ conversation_id: 'c-bad' });
    await waitFor(() => s.stats().malformedFrames === 4, 'four malformed frames');
    pusher.sendText('not binary');
    await waitFor(() => s.stats().malformedFrames === 5, 'a text frame');
    expect(s.state).toBe('connected');
    await clock.advance(30_000);
    expect(await outcome).toMatchObject({ via: 'fallback', reason: 'timeout' });
  });

  it('client-facing calls never throw and every conversation ends, under every fault, each one actually hit', async () => {
    const faults: PusherFault[] = [
      { kind: 'refuse' },
      { kind: 'reject' },
      { kind: 'hang' },
      { kind: 'close', code: 1011 },
      { kind: 'slow_accept', delayMs: 60_000 },
      { kind: 'process_error' },
      { kind: 'drop_mid_stream', afterFrames: 2 },
      { kind: 'malformed' },
    ];
    // Connection faults act on dials: the live connection is dropped so the session must dial into them.
    const onDials = new Set(['refuse', 'reject', 'close', 'slow_accept']);
    const s = session({ pingIntervalMs: 20_000 });
    await s.start();
    const outcomes: Promise<ConversationOutcome>[] = [];
    let n = 0;
    const poke = () =>
      expect(() => {
        s.sendAudio(Buffer.alloc(320), n);
        s.sendTranscript([{ n }]);
        s.setConversation(`conv-${n}`);
        s.sendSpeakerSample({ person_id: 'p', conversation_id: `conv-${n}`, segment_ids: [] });
        outcomes.push(s.processConversation({ conversation_id: `c-${n++}` }));
      }).not.toThrow();
    const hits = (kind: string) => pusher.stats().faultHits[kind] ?? 0;

    for (const fault of faults) {
      // Each fault must meet a healthy, connected session, or it would never be hit.
      pusher.setFault({ kind: 'none' });
      await pumpUntil(
        clock,
        dials,
        1_000,
        () => s.state === 'connected' && pod.breaker.state === 'closed',
        `connected again before ${fault.kind}`,
      );
      pusher.setFault(fault);
      if (onDials.has(fault.kind)) pusher.dropAll();
      await pokeUntil(() => hits(fault.kind) > 0, poke, `the ${fault.kind} fault to be hit`);
      // A dial held by slow_accept is in flight on purpose: the connect timeout (3 s) ends it.
      if (fault.kind === 'slow_accept') await clock.advance(3_000);
      // A few more seconds of the app's calls under the fault.
      const until = clock.now() + 3_000;
      await pokeUntil(() => clock.now() >= until, poke, `3 s under ${fault.kind}`);
    }
    pusher.setFault({ kind: 'none' });
    let settled = 0;
    for (const o of outcomes) void o.then(() => settled++);
    await pumpUntil(clock, dials, 1_000, () => settled === outcomes.length, 'every conversation to end', 60_000);
    const ended = await Promise.all(outcomes);
    expect(new Set(ended.map((o) => o.conversationId)).size).toBe(outcomes.length);
    for (const fault of faults) expect(hits(fault.kind), fault.kind).toBeGreaterThan(0);
  }, 120_000);
});

/**
 * Pokes the session and moves its clock a step at a time until `condition` holds.
 * Unlike pumpUntil it also checks while a real dial is in flight (a slow_accept is
 * hit during one), and then moves no time: the clock never races a handshake.
 */
async function pokeUntil(condition: () => boolean, poke: () => void, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for: ${what}`);
    poke();
    if (condition()) return;
    if (dials.inFlight === 0) {
      const next = clock.nextAt() ?? Number.POSITIVE_INFINITY;
      await clock.advance(Math.max(0, Math.min(1_000, next - clock.now())));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The ws dialer, counting pongs on their way to the session. */
function wsDialerWithPongs(url: string, events: ConnectionEvents, options: DialOptions, onPong: () => void) {
  return wsDialer(
    url,
    {
      message: events.message,
      close: events.close,
      pong: () => {
        onPong();
        events.pong();
      },
    },
    options,
  );
}
