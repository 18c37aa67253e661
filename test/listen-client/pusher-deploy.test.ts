import { DEFAULT_USER_AGENT, type PusherSession } from '@breakwater/listen-client';
import { ManualScheduler } from '@breakwater/listen-client/testing';
import { PusherStandIn } from '@breakwater/pusher-stand-in';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { PythonPusher } from './python-pusher.js';
import { addSession, CountingBreaker, DialLog, type Pod, pumpUntil, startPod, waitFor } from './support.js';

// A routine pusher deploy is not an outage. A pusher pod that shuts down cleanly
// closes every connection with 1001 ("going away"); its sessions must neither
// call that a failed send nor tell the cluster breaker about a failure: they
// reconnect calmly to the next pusher. Real sockets, a real ClusterBreaker on a
// real Redis behind a breaker that counts what the sessions tell it. Real time
// only generates traffic (audio every 20 ms); nothing asserts on time: session
// timers run on a manual clock, and every wait is for an event.

const SESSIONS = 20;
/** 20 ms of 16 kHz PCM16 mono. */
const CHUNK = Buffer.alloc(640);
// Liveness off: pongs travel in real time, the clock does not.
const QUIET = { pingIntervalMs: 3_600_000, heartbeatIntervalMs: 3_600_000 };

let redis: TestRedis;
let testNo = 0;

beforeAll(async () => {
  redis = await acquireRedis('listen-deploy');
});

afterAll(async () => {
  await redis.release();
});

/** A pod of sessions on one manual clock, the counter before its breaker, their metrics, audio every 20 ms. */
interface Fleet {
  readonly pod: Pod;
  readonly breaker: CountingBreaker;
  readonly clock: ManualScheduler;
  readonly dials: DialLog;
  readonly registry: Registry;
  readonly sessions: PusherSession[];
  /** Audio chunks sendAudio() sent, and those it refused (dropped), per the caller. */
  sentChunks: number;
  refusedChunks: number;
  /** Transitions out of `connected`, by cause. */
  readonly losses: Map<string, number>;
  startTraffic(): void;
  stopTraffic(): void;
}

const fleets: Fleet[] = [];

async function startFleet(pusherUrl: string, options: Parameters<typeof addSession>[4] = {}): Promise<Fleet> {
  const pod = await startPod('pod-a', redis.url, `${redis.prefix}deploy${++testNo}`);
  const breaker = new CountingBreaker(pod.breaker);
  const clock = new ManualScheduler();
  const dials = new DialLog();
  const registry = new Registry();
  const sessions: PusherSession[] = [];
  const losses = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let startTime = 0;
  const fleet: Fleet = {
    pod,
    breaker,
    clock,
    dials,
    registry,
    sessions,
    sentChunks: 0,
    refusedChunks: 0,
    losses,
    startTraffic() {
      timer ??= setInterval(() => {
        startTime += 0.02;
        for (const s of sessions) {
          if (s.sendAudio(CHUNK, startTime)) fleet.sentChunks++;
          else fleet.refusedChunks++;
        }
      }, 20);
    },
    stopTraffic() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  fleets.push(fleet);
  for (let i = 0; i < SESSIONS; i++) {
    const s = addSession(pod, pusherUrl, clock, dials, { ...QUIET, breaker, registry, ...options });
    s.onStateChange((c) => {
      if (c.from === 'connected') losses.set(c.cause, (losses.get(c.cause) ?? 0) + 1);
    });
    sessions.push(s);
  }
  await Promise.all(sessions.map((s) => s.start()));
  expect(sessions.map((s) => s.state)).toEqual(Array(SESSIONS).fill('connected'));
  return fleet;
}

afterEach(async () => {
  for (const fleet of fleets.splice(0)) {
    fleet.stopTraffic();
    await Promise.all(fleet.sessions.map((s) => s.close()));
    await fleet.pod.breaker.close();
  }
});

/** The value of a counter of the sessions' registry, summed over the series matching `labels`. */
async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

const all = (fleet: Fleet, state: string) => () => fleet.sessions.every((s) => s.state === state);
const heard = (fleet: Fleet) => ({ successes: fleet.breaker.successes, failures: fleet.breaker.failures });

/** Audio flowing on every session, then every connection proven (probeConfirmMs) and stable (stableConnectionMs). */
async function streaming(fleet: Fleet): Promise<void> {
  fleet.startTraffic();
  await fleet.clock.advance(10_000);
  expect(heard(fleet)).toEqual({ successes: SESSIONS, failures: 0 });
  const sent = fleet.sentChunks;
  await waitFor(() => fleet.sentChunks >= sent + SESSIONS * 5, 'audio flowing on every session');
  expect(fleet.refusedChunks).toBe(0);
}

/** After the pusher closed every connection cleanly: no failed send, no breaker failure, one clean loss each. */
async function expectCalmLosses(fleet: Fleet, losses: number): Promise<void> {
  await waitFor(all(fleet, 'reconnect_backoff'), 'every session to see its connection close');
  expect(await counter(fleet.registry, 'pusher_connection_losses_total', { reason: 'send_failed' })).toBe(0);
  expect(await counter(fleet.registry, 'pusher_connection_losses_total', { reason: 'closed' })).toBe(losses);
  expect(Object.fromEntries(fleet.losses)).toEqual({ closed: losses });
  expect(fleet.breaker.failures).toBe(0);
}

/** The fleet back on a healthy pusher: every connection proven, none failed, every refused chunk a counted drop. */
async function expectReconnected(fleet: Fleet, successes: number): Promise<void> {
  await pumpUntil(fleet.clock, fleet.dials, 250, all(fleet, 'connected'), 'every session back');
  await fleet.clock.advance(1_000);
  expect(heard(fleet)).toEqual({ successes, failures: 0 });
  expect(await counter(fleet.registry, 'pusher_reconnect_attempts_total', { result: 'failure' })).toBe(0);
  expect(fleet.pod.breaker.state).toBe('closed');
  fleet.stopTraffic();
  expect(await counter(fleet.registry, 'pusher_queue_drops_total', { queue: 'audio' })).toBe(fleet.refusedChunks);
}

// PythonPusher.start() fails each test (none is skipped) on a machine without the
// library, saying how to install it.
describe('a deploy of a pusher written with Python websockets (SIGTERM: server.close(), 1001 to all)', () => {
  it('20 sessions streaming audio: no send_failed, no breaker failure; they reconnect to the next pusher', async () => {
    const first = await PythonPusher.start();
    const fleet = await startFleet(first.url);
    expect(first.userAgents()).toEqual(Array(SESSIONS).fill(DEFAULT_USER_AGENT));
    // pusher's 201 as a Python model writes it, {"success": true, "error": null}: a success.
    const outcomes = await Promise.all(
      fleet.sessions.map((s, i) => s.processConversation({ conversation_id: `c${i}` })),
    );
    expect(outcomes.every((o) => o.via === 'pusher' && o.processed)).toBe(true);
    expect(fleet.sessions.map((s) => s.stats().malformedFrames)).toEqual(Array(SESSIONS).fill(0));
    await streaming(fleet);

    const stopped = await first.shutDown(); // audio keeps coming meanwhile
    expect(stopped.connections).toBe(SESSIONS);
    expect(stopped.frames).toMatchObject({ 104: SESSIONS });
    expect(stopped.frames['101']).toBeGreaterThanOrEqual(SESSIONS * 5);
    expect(first.disconnectCodes()).toEqual(Array(SESSIONS).fill(1001));
    await expectCalmLosses(fleet, SESSIONS);

    // The next pusher pod, at the same address (as behind a load balancer).
    const next = await PythonPusher.start(first.port);
    await expectReconnected(fleet, 2 * SESSIONS);
    // The Python side reports each connection on its stdout, which can trail the client's 'open'.
    await waitFor(() => next.userAgents().length === SESSIONS, 'the next pusher to report every connection');
    expect(next.userAgents()).toEqual(Array(SESSIONS).fill(DEFAULT_USER_AGENT));
    await next.shutDown();
  });

  it('a deploy that catches them just after a reconnect, inside the confirm window, is no verdict either', async () => {
    const first = await PythonPusher.start();
    const fleet = await startFleet(first.url);
    await streaming(fleet);
    await first.shutDown();
    await expectCalmLosses(fleet, SESSIONS);
    const second = await PythonPusher.start(first.port);
    await pumpUntil(fleet.clock, fleet.dials, 250, all(fleet, 'connected'), 'every session on the second pusher');
    expect(heard(fleet)).toEqual({ successes: SESSIONS, failures: 0 }); // none proven yet

    // The second pod goes too, before any of the new connections proved itself.
    await second.shutDown();
    expect(second.disconnectCodes()).toEqual(Array(SESSIONS).fill(1001));
    await waitFor(all(fleet, 'reconnect_backoff'), 'every session to see the second close');
    expect(heard(fleet)).toEqual({ successes: SESSIONS, failures: 0 });
    expect(await counter(fleet.registry, 'pusher_connection_losses_total', { reason: 'send_failed' })).toBe(0);

    const third = await PythonPusher.start(first.port);
    await expectReconnected(fleet, 2 * SESSIONS);
    await third.shutDown();
  });
});

describe('a deploy of the Node stand-in (the going_away fault)', () => {
  let pusher: PusherStandIn;

  beforeAll(async () => {
    pusher = await PusherStandIn.start();
  });

  afterAll(async () => {
    await pusher.close();
  });

  afterEach(async () => {
    pusher.setFault({ kind: 'none' });
    pusher.dropAll();
    await waitFor(() => pusher.stats().open === 0, 'the connections of the test to go');
    pusher.resetStats();
  });

  it('20 sessions streaming audio, the close held open: every send refused meanwhile is a drop, none a failure', async () => {
    // Heartbeats every 20 s: the first is due while the close is held.
    const fleet = await startFleet(pusher.url, { heartbeatIntervalMs: 20_000 });
    expect(pusher.stats().userAgents).toEqual({ [DEFAULT_USER_AGENT]: SESSIONS });
    await streaming(fleet);
    // 1001 to all; the stand-in reads nothing more, so each client socket stays CLOSING.
    pusher.setFault({ kind: 'going_away', holdClose: true });
    await waitFor(() => fleet.dials.connections.every((c) => c.closing), 'every socket to be closing');
    const refusedBefore = fleet.refusedChunks;
    await waitFor(() => fleet.refusedChunks >= refusedBefore + SESSIONS * 5, 'audio refused on every session');
    for (const s of fleet.sessions) {
      expect(s.sendTranscript([{ text: 'kept' }])).toBe(false);
      expect(s.sendSpeakerSample({ person_id: 'p', conversation_id: 'c', segment_ids: [] })).toBe(false);
    }
    await fleet.clock.advance(10_000); // the heartbeat is refused too
    expect(fleet.sessions.map((s) => s.state)).toEqual(Array(SESSIONS).fill('connected'));
    expect(await counter(fleet.registry, 'pusher_connection_losses_total')).toBe(0);
    expect(fleet.breaker.failures).toBe(0);

    // The pod finishes: the close handshakes complete, with 1001.
    pusher.setFault({ kind: 'none' });
    await expectCalmLosses(fleet, SESSIONS);
    expect(pusher.stats().closeCodes).toEqual({ 1001: SESSIONS });
    expect(pusher.stats().framesByOpcode['100']).toBeUndefined();
    expect(pusher.stats().faultHits).toEqual({ going_away: SESSIONS });
    await expectReconnected(fleet, 2 * SESSIONS);
    await waitFor(() => pusher.stats().transcriptSegments === SESSIONS, 'the kept transcripts replayed');
    expect(fleet.sessions.map((s) => s.stats().speakerSamplesDropped)).toEqual(Array(SESSIONS).fill(1));
  });

  it('a pusher that says "going away" to every new connection is no deploy: after one excuse each, failures trip the breaker', async () => {
    const fleet = await startFleet(pusher.url);
    await streaming(fleet);
    fleet.stopTraffic();
    pusher.setFault({ kind: 'going_away' });
    await expectCalmLosses(fleet, SESSIONS);
    // Move the clock only while no dial is in flight and no session holds a connection:
    // each new connection's 1001 must arrive inside its confirm window.
    const deadline = Date.now() + 30_000;
    while (fleet.pod.breaker.state !== 'open') {
      if (Date.now() > deadline) expect.fail('timed out waiting for the breaker to trip');
      await waitFor(
        () => fleet.dials.inFlight === 0 && fleet.sessions.every((s) => s.state !== 'connected'),
        'every new connection to be closed',
      );
      const next = fleet.clock.nextAt() ?? Number.POSITIVE_INFINITY;
      await fleet.clock.advance(Math.max(0, Math.min(1_000, next - fleet.clock.now())));
      await new Promise((r) => setTimeout(r, 2));
    }
    await waitFor(
      () => fleet.dials.inFlight === 0 && fleet.sessions.every((s) => s.state !== 'connected'),
      'the last connections to be closed',
    );
    // Every connection got its verdict: the first of each session proved itself, its
    // first early 1001 was excused (backoff puts every session's second connection,
    // within 1 s, before any third, after 1.5 s), and every later one was a failure
    // (or a lease probe's report) -- 20 failures trip the breaker.
    expect(fleet.breaker.successes).toBe(SESSIONS);
    expect(fleet.breaker.failures).toBeGreaterThanOrEqual(20);
    expect(fleet.dials.connections).toHaveLength(
      SESSIONS + SESSIONS + fleet.breaker.failures + fleet.breaker.probeReports.length,
    );
    expect(pusher.stats().connections).toBe(fleet.dials.connections.length);
    expect(await counter(fleet.registry, 'pusher_connection_losses_total', { reason: 'send_failed' })).toBe(0);
  });
});
