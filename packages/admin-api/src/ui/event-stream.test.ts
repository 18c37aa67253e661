import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventStream, type StreamStatus } from './event-stream.js';
import type { SseEvent } from './sse.js';

/** One response the fake server gives: a status, headers, and a body the test writes to. */
interface Reply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
}

/**
 * A fake `fetch` for the stream: each call takes the next reply; a 200 gets a body the
 * test feeds with `write()` and ends with `end()`. Records every request's headers.
 */
function fakeServer(replies: Reply[]) {
  const requests: Record<string, string>[] = [];
  let body: ReadableStreamDefaultController<Uint8Array> | undefined;
  const encoder = new TextEncoder();
  const fetch = vi.fn(async (_url: URL, init: RequestInit) => {
    requests.push({ ...(init.headers as Record<string, string>) });
    const reply = replies.shift() ?? { status: 503 };
    const status = reply.status ?? 200;
    if (status !== 200) {
      return new Response(JSON.stringify(reply.json ?? { code: 'X', message: `refused with ${status}` }), {
        status,
        headers: { 'content-type': 'application/json', ...reply.headers },
      });
    }
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        body = controller;
      },
    });
    init.signal?.addEventListener('abort', () => body?.error(init.signal?.reason));
    return new Response(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
  });
  return {
    fetch,
    requests,
    write: (text: string) => body?.enqueue(encoder.encode(text)),
    end: () => body?.close(),
  };
}

function client(
  server: ReturnType<typeof fakeServer>,
  options: Partial<ConstructorParameters<typeof EventStream>[0]> = {},
) {
  const events: SseEvent[] = [];
  const statuses: StreamStatus[] = [];
  const refusals: unknown[] = [];
  vi.stubGlobal('fetch', server.fetch);
  const stream = new EventStream({
    url: new URL('http://admin.test/v1/events'),
    headers: () => ({ authorization: 'Bearer a-token-of-sixteen' }),
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    onRefused: (r) => refusals.push(r),
    ...options,
  });
  return { stream, events, statuses, refusals, last: () => statuses.at(-1) };
}

/** Lets the stream's promises settle (reads, parsing) without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('EventStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1); // the top of each backoff window
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('sends the token in the Authorization header, never in the URL, and resumes with Last-Event-ID', async () => {
    const server = fakeServer([{}, {}]);
    const c = client(server);
    c.stream.start();
    await settle();
    expect(server.fetch.mock.calls[0]?.[0].href).toBe('http://admin.test/v1/events');
    expect(server.requests[0]).toEqual({ accept: 'text/event-stream', authorization: 'Bearer a-token-of-sixteen' });
    expect(c.last()).toEqual({ state: 'open' });

    server.write('event: ready\nid: 17-0:pusher\ndata: {}\n\n: heartbeat\n\nevent: transition\nid: 18-0:pu');
    await settle();
    expect(c.events.map((e) => e.type)).toEqual(['ready']);
    // The connection drops mid-event: the half-received event and its id are not kept.
    server.end();
    await settle();
    expect(c.last()).toEqual({ state: 'waiting', retryInMs: 1_000, attempt: 1, reason: 'the server ended the stream' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.requests[1]).toMatchObject({ 'last-event-id': '17-0:pusher' });
    c.stream.stop();
  });

  it('backs off 1 s, 2 s, 4 s … up to 30 s while the server is down, and starts over once data flows', async () => {
    const down = Array.from({ length: 7 }, () => ({ status: 503 }));
    const server = fakeServer([...down, {}, { status: 503 }]);
    const c = client(server);
    c.stream.start();
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      await settle();
      const s = c.last();
      if (s?.state !== 'waiting') throw new Error(`expected waiting, got ${JSON.stringify(s)}`);
      waits.push(s.retryInMs);
      await vi.advanceTimersByTimeAsync(s.retryInMs);
    }
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    await settle();
    server.write(': hello\n\n');
    await settle();
    server.end();
    await settle();
    expect(c.last()).toMatchObject({ state: 'waiting', retryInMs: 1_000 });
    c.stream.stop();
  });

  it("waits at least the server's Retry-After when refused for load", async () => {
    const server = fakeServer([{ status: 429, headers: { 'retry-after': '5' } }]);
    const c = client(server);
    c.stream.start();
    await settle();
    expect(c.last()).toMatchObject({ state: 'waiting', retryInMs: 5_000, reason: 'refused with 429' });
    c.stream.stop();
  });

  it('stops for good on 401 or 403, saying why', async () => {
    const server = fakeServer([{ status: 401, json: { code: 'AUTH_EXPIRED', message: 'token "olga" expired' } }]);
    const c = client(server);
    c.stream.start();
    await settle();
    expect(c.refusals).toEqual([{ status: 401, code: 'AUTH_EXPIRED', message: 'token "olga" expired' }]);
    expect(c.last()).toEqual({ state: 'stopped' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.fetch).toHaveBeenCalledTimes(1);
  });

  it('drops a stream that stays silent past the idle bound (the heartbeats stopped) and reconnects', async () => {
    const server = fakeServer([{}, {}]);
    const c = client(server, { idleTimeoutMs: 45_000 });
    c.stream.start();
    await settle();
    c.stream.setIdleTimeout(3_000);
    server.write(': heartbeat\n\n'); // re-arms the bound, now 3 s
    await settle();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(c.last()).toEqual({ state: 'open' });
    await vi.advanceTimersByTimeAsync(1);
    expect(c.last()).toMatchObject({ state: 'waiting', reason: 'nothing received for 3 s' });
    c.stream.stop();
  });
});
