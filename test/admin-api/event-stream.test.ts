import { connect, type Socket } from 'node:net';
import { buildAdminApp, type EventStreamOptions } from '@breakwater/admin-api';
import { RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis, waitUntil } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, SECRETS, tokenConfig } from './admin-fixtures.js';
import { openSse, type SseConnection } from './sse-client.js';

/**
 * GET /v1/events on a real port over a real Redis: transitions made by another
 * client (its own connection and store, as a pod or another admin replica would)
 * reach the stream by pub/sub, with the snapshot read after them and their audit
 * ids; ?name= filters; Last-Event-ID replays what was missed; the stream bounds
 * (streams per server and per token, a slow reader's backlog) answer with codes.
 */

interface Transition {
  transition: { name: string; action: string; generation: number; actor: string; reason: string; state: string | null };
  snapshot: { state: string; generation: number; override: { actor: string; reason: string } | null } | null;
  replayed: boolean;
}

let redis: TestRedis;
let other: { client: Redis; store: RedisBreakerStore };
const apps: { close(): Promise<void> }[] = [];
const clients: Redis[] = [];
const streams: SseConnection[] = [];

/** An admin app on its own Redis connection, listening on a free port. */
async function startApp(events: EventStreamOptions = {}) {
  const client = new Redis(redis.url);
  clients.push(client);
  const store = new RedisBreakerStore({ client, prefix: redis.prefix });
  const registry = new Registry();
  const app = buildAdminApp({ store, tokens: tokenConfig(Date.now()), registry, events });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push({ close: () => app.close().then(() => store.close()) });
  const metric = async (name: string, labels = '') => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };
  return { app, url, registry, metric };
}

async function sse(url: string, headers: Record<string, string> = AS_VIEWER): Promise<SseConnection> {
  const connection = await openSse(url, headers);
  streams.push(connection);
  return connection;
}

/** Redis's clock, ms: what audit ids are stamped with. */
async function redisMs(): Promise<number> {
  const [seconds, micros] = await other.client.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

const ready = (s: SseConnection) => waitUntil(() => s.events.some((e) => e.event === 'ready'), { what: 'ready' });

beforeAll(async () => {
  redis = await acquireRedis('admin-events');
  const client = new Redis(redis.url);
  other = { client, store: new RedisBreakerStore({ client, prefix: redis.prefix }) };
  await other.store.register('pusher');
  await other.store.register('billing');
});

afterAll(async () => {
  for (const s of streams) s.close();
  for (const app of apps) await app.close();
  for (const c of clients) c.disconnect();
  await other?.store.close();
  other?.client.disconnect();
  await redis?.release();
});

describe('GET /v1/events', () => {
  it('refuses a request without a token (401, JSON) and serves a viewer', async () => {
    const { url } = await startApp();
    const anonymous = await fetch(`${url}/v1/events`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ statusCode: 401, code: 'AUTH_REQUIRED', message: expect.any(String) });

    const s = await sse(`${url}/v1/events`);
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await ready(s);
    expect(s.json<{ name: string }>('snapshot').map((b) => b.name)).toEqual(['billing', 'pusher']);
    expect(s.json('ready')).toEqual([
      { breakers: ['billing', 'pusher'], truncated: false, resumed: false, gaps: [], heartbeatMs: 15_000 },
    ]);
    s.close();
  });

  it('streams a force-open made by another client, with the snapshot read after it and its audit id', async () => {
    const { url } = await startApp();
    const s = await sse(`${url}/v1/events`);
    await ready(s);
    const snapshot = await other.store.forceOpen('pusher', { reason: 'INC-7', actor: 'alice', ttlMs: 600_000 });
    await waitUntil(() => s.json('transition').length > 0, { what: 'the transition' });
    const [event] = s.json<Transition>('transition');
    expect(event).toMatchObject({
      transition: {
        name: 'pusher',
        action: 'force_open',
        from: 'closed',
        to: 'forced_open',
        state: 'forced_open',
        generation: snapshot.generation,
        actor: 'alice',
        reason: 'INC-7',
        overrideExpiresAt: snapshot.override?.expiresAt,
      },
      snapshot: { name: 'pusher', state: 'forced_open', generation: snapshot.generation },
      replayed: false,
    });
    expect(event?.snapshot?.override).toMatchObject({ actor: 'alice', reason: 'INC-7' });
    const [latest] = await other.store.audit('pusher', { limit: 1 });
    expect(s.events.find((e) => e.event === 'transition')?.id).toBe(`${latest?.id}:pusher`);
    await other.store.clearOverride('pusher', { actor: 'alice' });
    await waitUntil(() => s.json('transition').length === 2, { what: 'the clear' });
    s.close();
  });

  it('?name= follows one breaker only; an unknown or bad name is refused before the stream opens', async () => {
    const { app, url } = await startApp();
    const s = await sse(`${url}/v1/events?name=billing`);
    await ready(s);
    expect(s.json<{ name: string }>('snapshot').map((b) => b.name)).toEqual(['billing']);
    await other.store.reset('pusher', { actor: 'olga', reason: 'not for this stream' });
    await other.store.reset('billing', { actor: 'olga', reason: 'for this stream' });
    await waitUntil(() => s.json('transition').length > 0, { what: 'the billing reset' });
    // Published after the pusher reset, in order on one connection: had it passed the filter, it would be here.
    expect(s.json<Transition>('transition').map((e) => [e.transition.name, e.transition.reason])).toEqual([
      ['billing', 'for this stream'],
    ]);
    s.close();

    const ghost = await app.inject({ url: '/v1/events?name=ghost', headers: AS_VIEWER });
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json()).toEqual({ statusCode: 404, code: 'BREAKER_NOT_FOUND', message: expect.any(String) });
    const bad = await app.inject({ url: '/v1/events?name=-x', headers: AS_VIEWER });
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'INVALID_REQUEST' });
    const extra = await app.inject({ url: '/v1/events?since=0', headers: AS_VIEWER });
    expect(extra.json()).toMatchObject({ statusCode: 400, code: 'INVALID_REQUEST' });
  });

  it('a reconnect with Last-Event-ID gets the missed transitions from the audit log, then fresh snapshots', async () => {
    const { url } = await startApp({ maxReplayPerBreaker: 3 });
    const first = await sse(`${url}/v1/events`);
    await ready(first);
    await other.store.forceClose('billing', { reason: 'seen live', actor: 'olga', ttlMs: 600_000 });
    await waitUntil(() => first.json('transition').length === 1, { what: 'the live transition' });
    const lastId = first.events.filter((e) => e.id !== undefined).at(-1)?.id as string;
    expect(lastId).toMatch(/^\d+-\d+:billing$/);
    first.close();

    // Missed while away: three transitions on two breakers.
    await other.store.clearOverride('billing', { actor: 'olga', reason: 'missed 1' });
    // The next ones in a later millisecond of Redis's clock than billing's: a replay from the newest
    // (pusher's) then holds nothing of billing, whose entries of the cursor's millisecond would be
    // replayed again (ids of two logs do not order within one millisecond).
    const [billingEntry] = await other.store.audit('billing', { limit: 1 });
    await waitUntil(async () => (await redisMs()) > Number(billingEntry?.id.split('-')[0]), {
      what: "Redis's clock past billing's entry",
    });
    await other.store.forceOpen('pusher', { reason: 'missed 2', actor: 'olga', ttlMs: 600_000 });
    await other.store.clearOverride('pusher', { actor: 'olga', reason: 'missed 3' });

    const again = await sse(`${url}/v1/events`, { ...AS_VIEWER, 'last-event-id': lastId });
    await ready(again);
    const names = again.events.map((e) => e.event);
    expect(names).toEqual(['transition', 'transition', 'transition', 'snapshot', 'snapshot', 'ready']);
    const replayed = again.json<Transition>('transition');
    expect(replayed.map((e) => [e.transition.name, e.transition.reason, e.replayed, e.snapshot])).toEqual([
      ['billing', 'missed 1', true, null],
      ['pusher', 'missed 2', true, null],
      ['pusher', 'missed 3', true, null],
    ]);
    const audit = await other.store.audit('pusher', { limit: 2 });
    expect(again.events.slice(1, 3).map((e) => e.id)).toEqual(audit.map((e) => `${e.id}:pusher`).reverse());
    expect(again.json('ready')[0]).toMatchObject({ resumed: true, gaps: [] });
    // ready carries the newest position, so a reconnect from it replays nothing.
    const readyId = again.events.at(-1)?.id as string;
    again.close();
    const third = await sse(`${url}/v1/events`, { ...AS_VIEWER, 'last-event-id': readyId });
    await ready(third);
    expect(third.events.map((e) => e.event)).toEqual(['snapshot', 'snapshot', 'ready']);
    third.close();

    // More missed than the replay bound: a gap, and only the fresh snapshot for that breaker.
    for (let i = 0; i < 4; i++) await other.store.reset('pusher', { actor: 'olga', reason: `burst ${i}` });
    const gap = await sse(`${url}/v1/events`, { ...AS_VIEWER, 'last-event-id': readyId });
    await ready(gap);
    expect(gap.json('ready')[0]).toMatchObject({ resumed: true, gaps: ['pusher'] });
    expect(gap.json<Transition>('transition')).toEqual([]);
    gap.close();

    // An id that is not ours: a fresh start.
    const foreign = await sse(`${url}/v1/events`, { ...AS_VIEWER, 'last-event-id': 'banana' });
    await ready(foreign);
    expect(foreign.json('ready')[0]).toMatchObject({ resumed: false });
    foreign.close();
  });

  it('refuses a stream beyond maxStreams (503) and beyond maxStreamsPerToken (429), coded, with Retry-After', async () => {
    const { url, metric } = await startApp({ maxStreams: 2, maxStreamsPerToken: 1 });
    const a = await sse(`${url}/v1/events`, AS_VIEWER);
    await ready(a);
    const sameToken = await fetch(`${url}/v1/events`, { headers: AS_VIEWER });
    expect(sameToken.status).toBe(429);
    expect(sameToken.headers.get('retry-after')).toBe('5');
    expect(await sameToken.json()).toEqual({
      statusCode: 429,
      code: 'TOO_MANY_STREAMS_FOR_TOKEN',
      message: expect.stringContaining('vic'),
    });
    const b = await sse(`${url}/v1/events`, AS_OPERATOR);
    await ready(b);
    const third = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${SECRETS.expired}` } });
    expect(third.status).toBe(401); // credentials first
    const full = await fetch(`${url}/v1/events`, { headers: AS_VIEWER });
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    expect(await full.json()).toEqual({ statusCode: 503, code: 'TOO_MANY_STREAMS', message: expect.any(String) });
    expect(await metric('breakwater_admin_event_streams')).toBe(2);

    a.close();
    await waitUntil(async () => (await metric('breakwater_admin_event_streams')) === 1, { what: 'a slot freed' });
    const c = await sse(`${url}/v1/events`, AS_VIEWER);
    await ready(c);
    expect(await metric('breakwater_admin_event_stream_disconnects_total', '{reason="client_closed"}')).toBe(1);
    b.close();
    c.close();
  });

  it('cuts off a client that stops reading once its backlog passes maxBufferedBytes, and counts it', async () => {
    const maxBufferedBytes = 65_536;
    const { url, metric } = await startApp({ maxBufferedBytes });
    const { port } = new URL(url);
    // A raw socket, so the test decides when (never) to read.
    const socket: Socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.write(
      `GET /v1/events?name=pusher HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${SECRETS.viewer}\r\n\r\n`,
    );
    await waitUntil(() => received.includes('event: ready'), { what: 'the stream opening' });
    socket.pause(); // from here on the client reads nothing: the kernel buffers fill, then the server's

    // Transitions with long reasons until the server gives up on this client (bounded: at most 20,000).
    const reason = 'slow '.repeat(99);
    let sent = 0;
    while ((await metric('breakwater_admin_event_stream_disconnects_total', '{reason="slow_consumer"}')) === 0) {
      expect(sent, 'the server never cut the slow client').toBeLessThan(20_000);
      await other.store.forceOpen('pusher', { reason, actor: 'olga', ttlMs: 600_000 });
      await other.store.forceClose('pusher', { reason, actor: 'olga', ttlMs: 600_000 });
      sent += 2;
    }
    socket.resume();
    await waitUntil(() => closed, { what: 'the connection closed by the server' });
    expect(await metric('breakwater_admin_event_streams')).toBe(0);
    // It was cut, not drained: far fewer events reached the client than were streamed.
    expect(received.split('event: transition').length - 1).toBeLessThan(sent);
    await other.store.clearOverride('pusher', { actor: 'olga' });
  });

  it('ends open streams cleanly when the server closes', async () => {
    const { app, url, metric } = await startApp();
    const s = await sse(`${url}/v1/events`);
    await ready(s);
    await app.close();
    await s.ended;
    expect(await metric('breakwater_admin_event_stream_disconnects_total', '{reason="server_closing"}')).toBe(1);
  });
});
