import { ConversationFallback, type ConversationOutcome, type ConversationRequest } from '@breakwater/listen-client';
import { ManualScheduler } from '@breakwater/listen-client/testing';
import { PusherStandIn } from '@breakwater/pusher-stand-in';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { addSession, DialLog, type Pod, pumpUntil, startPod, waitFor } from './support.js';

// 1,000 conversations requested across an outage — healthy, pusher hanging,
// pusher refusing (the breaker trips, sessions degrade), pusher back — on 10
// sessions of one pod with a real ClusterBreaker on real Redis and the stand-in
// over real sockets. Each ends in exactly one outcome; none is lost; none is
// processed twice by the session.

const SESSIONS = 10;
let redis: TestRedis;
let pusher: PusherStandIn;
let pod: Pod;
const clock = new ManualScheduler();
const dials = new DialLog();
const registry = new Registry();
const fallbackCalls = new Map<string, number>();

beforeAll(async () => {
  redis = await acquireRedis('listen-conversations');
  pusher = await PusherStandIn.start();
  pod = await startPod('pod-a', redis.url, redis.prefix.replace(/:$/, ''));
  const fallback = new ConversationFallback({
    clock,
    concurrency: 8,
    handler: async (req: ConversationRequest) => {
      fallbackCalls.set(req.conversation_id, (fallbackCalls.get(req.conversation_id) ?? 0) + 1);
      return 'processed locally';
    },
  });
  for (let i = 0; i < SESSIONS; i++) {
    addSession(pod, pusher.url, clock, dials, {
      fallback,
      registry,
      pingIntervalMs: 3_600_000,
      heartbeatIntervalMs: 3_600_000,
    });
  }
});

afterAll(async () => {
  await Promise.all(pod.sessions.map((s) => s.close()));
  await pod.breaker.close();
  await pusher.close();
  await redis.release();
});

describe('conversations across an outage', () => {
  it('1,000 conversations: exactly one outcome each, none lost, none processed twice by the session', async () => {
    const outcomes = new Map<string, Promise<ConversationOutcome>>();
    let next = 0;
    const ask = (n: number) => {
      for (let k = 0; k < n; k++, next++) {
        const id = `conv-${next}`;
        const session = pod.sessions[next % SESSIONS];
        if (!session) throw new Error('no session');
        const outcome = session.processConversation({ conversation_id: id, language: 'en' });
        // Every 10th is asked twice: the repeat shares the first one's outcome.
        if (next % 10 === 0) expect(session.processConversation({ conversation_id: id })).toBe(outcome);
        outcomes.set(id, outcome);
      }
    };
    const settled = new Set<string>();
    const track = () => {
      for (const [id, p] of outcomes) void p.then(() => settled.add(id));
    };

    // Healthy.
    await Promise.all(pod.sessions.map((s) => s.start()));
    ask(300);
    track();
    await waitFor(() => settled.size === 300, '300 answers from pusher');

    // pusher hangs: requests are sent and not answered.
    pusher.setFault({ kind: 'hang' });
    ask(200);
    await waitFor(() => pusher.stats().framesByOpcode['104'] === 500, '200 more 104s to reach pusher');

    // pusher dies: connections dropped, new ones refused; the breaker trips.
    pusher.setFault({ kind: 'refuse' });
    pusher.dropAll();
    await waitFor(() => pod.sessions.every((s) => s.state !== 'connected'), 'every session to lose pusher');
    ask(200); // queued while reconnecting
    await pumpUntil(
      clock,
      dials,
      500,
      () => pod.sessions.every((s) => s.state === 'degraded'),
      'every session degraded',
    );
    ask(100); // degraded: straight to the fallback

    // pusher is back.
    pusher.setFault({ kind: 'none' });
    await pumpUntil(clock, dials, 1_000, () => pod.sessions.every((s) => s.state === 'connected'), 'recovery');
    ask(200);
    track();
    await waitFor(() => settled.size === 1_000, 'every conversation to end');

    const all = await Promise.all([...outcomes.values()]);
    expect(outcomes.size).toBe(1_000);
    const viaPusher = all.filter((o) => o.via === 'pusher').map((o) => o.conversationId);
    const viaFallback = all.filter((o) => o.via === 'fallback').map((o) => o.conversationId);
    expect(viaPusher.length + viaFallback.length).toBe(1_000);
    expect(viaPusher.length).toBeGreaterThanOrEqual(500); // the healthy 300 and the last 200
    expect(viaFallback.length).toBeGreaterThanOrEqual(300); // the hung 200 and the degraded 100
    // Each fallback conversation ran the handler exactly once; no pusher one did.
    expect(viaFallback.every((id) => fallbackCalls.get(id) === 1)).toBe(true);
    expect(viaPusher.every((id) => !fallbackCalls.has(id))).toBe(true);
    expect(fallbackCalls.size).toBe(viaFallback.length);
    // What the session says pusher processed, pusher processed exactly once; what ended
    // via the fallback, pusher never processed (so no conversation was processed twice).
    const processed = pusher.processedConversations();
    expect(viaPusher.filter((id) => processed.get(id) !== 1)).toEqual([]);
    expect(viaFallback.filter((id) => processed.has(id))).toEqual([]);
    expect([...processed.keys()].sort()).toEqual([...viaPusher].sort());
    // One outcome per id in the metrics too (repeats are not counted twice).
    const metric = await registry.getSingleMetricAsString('pusher_conversation_outcomes_total');
    const total = [...metric.matchAll(/pusher_conversation_outcomes_total\{[^}]*\} (\d+)/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(total).toBe(1_000);
    // The handler never fails here: every outcome, either way, says it was processed.
    expect(all.every((o) => o.processed)).toBe(true);
    expect(metric).not.toMatch(/status="(failed|timed_out|rejected|expired)"/);
  });
});
