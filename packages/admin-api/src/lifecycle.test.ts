import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { MemoryBreakerStore } from '@breakwater/breaker-core';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAdminApp } from './app.js';
import { answerClientError } from './errors/client-error.js';
import { AS_VIEWER, TOKEN_CONFIG } from './test-support/admin-fixture.js';

/**
 * What the standalone app answers outside a route's own work, on a real
 * socket (inject() cannot send a malformed request, nor one while closing):
 * every reply still has the API's `{ statusCode, code, message }`.
 */

/** Everything the server sends on `socket` until it closes the connection, split into responses. */
async function readResponses(socket: Socket): Promise<{ status: number; headers: string; body: unknown }[]> {
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  await once(socket, 'close');
  const responses: { status: number; headers: string; body: unknown }[] = [];
  let rest = data;
  while (rest.startsWith('HTTP/1.1 ')) {
    const headerEnd = rest.indexOf('\r\n\r\n');
    const headers = rest.slice(0, headerEnd);
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1]);
    const body = rest.slice(headerEnd + 4, headerEnd + 4 + length);
    responses.push({ status: Number(headers.slice(9, 12)), headers, body: JSON.parse(body) });
    rest = rest.slice(headerEnd + 4 + length);
  }
  return responses;
}

/** A one-shot event to await. */
function signal(): { fire: () => void; fired: Promise<void> } {
  let fire = () => {};
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
}

function request(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: admin\r\nAuthorization: ${AS_VIEWER.authorization}\r\n${extra}\r\n`;
}

describe('the standalone app on a real socket', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function listen(
    store = new MemoryBreakerStore(),
    options: Partial<Parameters<typeof buildAdminApp>[0]> = {},
    onClose?: () => void,
  ): Promise<{ port: number }> {
    await store.register('pusher');
    app = buildAdminApp({ store, tokens: TOKEN_CONFIG, ...options });
    // Root hooks run before the admin context's, which refuses requests from then on.
    if (onClose) app.addHook('preClose', async () => onClose());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return { port: address.port };
  }

  it('while closing, finishes the request in flight and answers a new one 503 SHUTTING_DOWN', async () => {
    // The first request stays in the store until released, so the app is closing while it runs.
    const store = new MemoryBreakerStore();
    const entered = signal();
    const release = signal();
    const snapshot = store.snapshot.bind(store);
    store.snapshot = async (name) => {
      entered.fire();
      await release.fired;
      return snapshot(name);
    };
    // The app's log tells when the second request has been refused (its reply waits behind the first).
    const refused = signal();
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          if (line.includes('"code":"SHUTTING_DOWN"')) refused.fire();
        },
      },
    );
    const closing = signal();
    const { port } = await listen(store, { logger }, closing.fire);
    const socket = connect(port, '127.0.0.1');
    const responses = readResponses(socket);
    socket.write(request('/v1/breakers/pusher'));
    await entered.fired;

    const closed = (app as FastifyInstance).close();
    app = undefined;
    await closing.fired;
    // Pipelined on the same connection, once closing: Node hands it over at once.
    socket.write(request('/v1/breakers/pusher'));
    await refused.fired;
    release.fire();
    const [first, second] = await responses;
    await closed;

    expect(first).toMatchObject({ status: 200, body: { name: 'pusher', state: 'closed' } });
    expect(second?.status).toBe(503);
    expect(second?.body).toEqual({
      statusCode: 503,
      code: 'SHUTTING_DOWN',
      message: 'the admin API is shutting down; retry shortly',
    });
    expect(second?.headers).toMatch(/connection: close/i);
  });

  it('answers a request Node cannot parse 400 INVALID_REQUEST in the API shape', async () => {
    const { port } = await listen();
    const socket = connect(port, '127.0.0.1');
    const responses = readResponses(socket);
    socket.write('GET /v1/breakers HTTP/1.1\r\nHost admin\r\n\r\n');
    expect(await responses).toEqual([
      expect.objectContaining({
        status: 400,
        body: { statusCode: 400, code: 'INVALID_REQUEST', message: 'malformed HTTP request' },
      }),
    ]);
  });

  it('answers a request without Host, and a path that is not valid percent-encoding, 400 in the API shape without echoing the URL', async () => {
    const { port } = await listen();
    const socket = connect(port, '127.0.0.1');
    const responses = readResponses(socket);
    // Raw bytes: no client library would leave Host out.
    socket.write('GET /v1/breakers?token=secret-in-the-query HTTP/1.1\r\n\r\n');
    const [noHost] = await responses;
    expect(noHost).toMatchObject({
      status: 400,
      body: { statusCode: 400, code: 'INVALID_REQUEST', message: 'an HTTP/1.1 request needs a Host header' },
    });
    expect(noHost?.headers).toMatch(/connection: close/i);
    expect(noHost?.headers).toMatch(/content-type: application\/json/i);

    for (const path of ['/v1/breakers/%?token=secret-in-the-query', `/v1/breakers/${'p'.repeat(250)}?token=secret`]) {
      const res = await (app as FastifyInstance).inject({ url: path, headers: { authorization: 'Bearer x' } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ statusCode: 400, code: 'INVALID_REQUEST', message: expect.any(String) });
      expect(res.body).not.toContain('secret');
      expect(res.body).not.toContain('/v1/breakers');
    }
  });

  it('answers oversized headers 431 HEADERS_TOO_LARGE and a slow request 408 REQUEST_TIMEOUT', async () => {
    const { port } = await listen();
    const socket = connect(port, '127.0.0.1');
    const responses = readResponses(socket);
    socket.write(request('/v1/breakers', `X-Big: ${'b'.repeat(20_000)}\r\n`));
    expect(await responses).toEqual([
      expect.objectContaining({
        status: 431,
        body: { statusCode: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' },
      }),
    ]);

    // The request timeout itself is 30 s: hand the handler Node's timeout error directly.
    const fake = new PassThrough();
    let written = '';
    fake.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    answerClientError.call(
      app as FastifyInstance,
      Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
      fake,
    );
    expect(written).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(written.slice(written.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 408,
      code: 'REQUEST_TIMEOUT',
      message: 'the request did not arrive completely in time',
    });
    expect(fake.destroyed).toBe(true);
  });
});
