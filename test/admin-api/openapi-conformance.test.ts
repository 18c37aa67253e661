import { connect } from 'node:net';
import { ADMIN_REDIS_OPTIONS, buildAdminApp, redisReadiness } from '@breakwater/admin-api';
import { RedisBreakerStore } from '@breakwater/breaker-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis, uniquePrefix, waitUntil } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, SECRETS, tokenConfig } from './admin-fixtures.js';

/**
 * The OpenAPI document a client generator is given is checked twice: by a
 * third-party validator (@seriousme/openapi-schema-validator, the OpenAPI 3.0
 * JSON schema), and against real responses. For every operation and every
 * status it declares (not `default`), the test provokes that status and
 * checks the content type and the body against the declared schema (Ajv), and
 * Retry-After where declared for 429. Every provoked response must be
 * declared too. The store outage (503) uses a redis-server this file owns and
 * kills; the shutdown 503 is pipelined on a connection while the app closes.
 */

interface Seen {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> }>;
}

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

let server: RedisServer;
let client: Redis;
let store: RedisBreakerStore;
let app: ReturnType<typeof buildAdminApp>;
let limited: ReturnType<typeof buildAdminApp>;
let url: string;
let doc: Doc;
const seen = new Map<string, Seen[]>();
const ajv = new Ajv({ strict: false, allErrors: true });

const GOOD = { reason: 'INC-1', ttlSeconds: 600 };
const BIG = { reason: 'r'.repeat(20_000), ttlSeconds: 600 };
const CONFIG_BODY = { reason: 'INC-1', config: { quorum: 1 } };

/** Records what an operation answered, keyed `METHOD /path/{template}`. */
function record(op: string, res: Seen): Seen {
  const list = seen.get(op) ?? [];
  list.push(res);
  seen.set(op, list);
  return res;
}

async function inject(
  op: string,
  request: { method?: string; url: string; headers?: Record<string, string>; payload?: unknown },
  on = app,
): Promise<Seen> {
  const res = await on.inject({
    method: (request.method ?? 'GET') as 'GET',
    url: request.url,
    headers: request.headers ?? {},
    ...(request.payload === undefined ? {} : { payload: request.payload as string }),
  });
  return record(op, {
    status: res.statusCode,
    contentType: String(res.headers['content-type'] ?? ''),
    body: res.body,
    headers: res.headers as Seen['headers'],
  });
}

/** GET /v1/events on the real port: status, headers and the first event (then closes). */
async function stream(headers: Record<string, string>, query = ''): Promise<Seen & { close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${url}/v1/events${query}`, { headers, signal: abort.signal });
  let body = '';
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    while (!body.includes('\n\n')) {
      const chunk = await reader.read();
      if (chunk.done) break;
      body += decoder.decode(chunk.value, { stream: true });
    }
  } else {
    body = await res.text();
  }
  const seenRes = record('GET /v1/events', {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body,
    headers: Object.fromEntries(res.headers),
  });
  return { ...seenRes, close: () => abort.abort() };
}

/** Every operation's requests that make it answer each status. */
const MUTATIONS = [
  ['POST /v1/breakers/{name}/force-open', 'POST', '/v1/breakers/pusher/force-open', GOOD],
  ['POST /v1/breakers/{name}/force-close', 'POST', '/v1/breakers/pusher/force-close', GOOD],
  ['POST /v1/breakers/{name}/reset', 'POST', '/v1/breakers/pusher/reset', { reason: 'INC-1' }],
  ['PUT /v1/breakers/{name}/config', 'PUT', '/v1/breakers/pusher/config', CONFIG_BODY],
  ['DELETE /v1/breakers/{name}/override', 'DELETE', '/v1/breakers/pusher/override', undefined],
] as const;

beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.url, { ...ADMIN_REDIS_OPTIONS, retryStrategy: () => 50, lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  store = new RedisBreakerStore({ client, prefix: uniquePrefix('admin-openapi') });
  await store.register('pusher');
  const common = { store, tokens: tokenConfig(Date.now()), readiness: redisReadiness(client), readinessTimeoutMs: 500 };
  app = buildAdminApp({
    ...common,
    rateLimit: { burst: 10_000, perMinute: 60_000 },
    events: { maxStreams: 2, maxStreamsPerToken: 1 },
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  limited = buildAdminApp({ ...common, rateLimit: { burst: 1, perMinute: 1 } });
  await limited.ready();
  doc = (await app.inject({ url: '/openapi.json' })).json();
});

afterAll(async () => {
  await app?.close();
  await limited?.close();
  await store?.close();
  client?.disconnect();
  await server?.stop();
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.0 document (third-party validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.0.3');
  });

  it('declares explicit error statuses, text/plain for /metrics, Retry-After on 429', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses);
        expect(
          statuses.filter((s) => /X/i.test(s)),
          `${method} ${path}`,
        ).toEqual([]);
        if (op.responses['429']) expect(op.responses['429'].headers, `${method} ${path}`).toHaveProperty('retry-after');
      }
    }
    expect(Object.keys(doc.paths['/metrics']?.get?.responses['200']?.content ?? {})).toEqual(['text/plain']);
    expect(Object.keys(doc.paths['/v1/events']?.get?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(doc.paths['/readyz']?.get?.responses ?? {}).sort()).toEqual(['200', '503', 'default']);
  });

  it('matches what the API answers: every operation × every declared status, provoked', async () => {
    // Reads.
    await inject('GET /v1/breakers', { url: '/v1/breakers', headers: AS_VIEWER });
    await inject('GET /v1/breakers', { url: '/v1/breakers?state=open', headers: AS_VIEWER });
    await inject('GET /v1/breakers', { url: '/v1/breakers' });
    for (const [suffix, op] of [
      ['', 'GET /v1/breakers/{name}'],
      ['/audit', 'GET /v1/breakers/{name}/audit'],
    ] as const) {
      await inject(op, { url: `/v1/breakers/pusher${suffix}`, headers: AS_VIEWER });
      await inject(op, { url: `/v1/breakers/-bad${suffix}`, headers: AS_VIEWER });
      await inject(op, { url: `/v1/breakers/pusher${suffix}` });
      await inject(op, { url: `/v1/breakers/ghost${suffix}`, headers: AS_VIEWER });
    }
    await inject('GET /v1/whoami', { url: '/v1/whoami', headers: AS_VIEWER });
    await inject('GET /v1/whoami', { url: '/v1/whoami?as=olga', headers: AS_VIEWER });
    await inject('GET /v1/whoami', { url: '/v1/whoami' });
    await inject('GET /healthz', { url: '/healthz' });
    await inject('GET /readyz', { url: '/readyz' });
    await inject('GET /metrics', { url: '/metrics', headers: AS_VIEWER });
    await inject('GET /metrics', { url: '/metrics' });

    // Mutations: 200, then each refusal.
    for (const [op, method, path, body] of MUTATIONS) {
      const withBody = body === undefined ? {} : { payload: body };
      await inject(op, { method, url: path, headers: AS_OPERATOR, ...withBody });
      await inject(op, { method, url: `${path}?actor=mallory`, headers: AS_OPERATOR, ...withBody });
      await inject(op, { method, url: path, ...withBody });
      await inject(op, { method, url: path, headers: AS_VIEWER, ...withBody });
      await inject(op, { method, url: path.replace('pusher', 'ghost'), headers: AS_OPERATOR, ...withBody });
      await inject(op, { method, url: path, headers: AS_OPERATOR, payload: BIG });
      await inject(op, {
        method,
        url: path,
        headers: { ...AS_OPERATOR, 'content-type': 'text/plain' },
        payload: 'reason=x',
      });
    }
    // 429: one mutation spends the only token of the limited app; every mutation after it is refused.
    await limited.inject({
      method: 'POST',
      url: '/v1/breakers/pusher/reset',
      headers: AS_OPERATOR,
      payload: { reason: 'x' },
    });
    for (const [op, method, path, body] of MUTATIONS) {
      const res = await inject(
        op,
        { method, url: path, headers: AS_OPERATOR, ...(body === undefined ? {} : { payload: body }) },
        limited,
      );
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }

    // The event stream on the real port: 200, 400, 401, 404, then its two limits.
    const open = await stream(AS_VIEWER);
    expect(open.body).toMatch(/^event: snapshot\n/);
    await stream(AS_OPERATOR, '?name=-bad');
    await stream({});
    await stream(AS_OPERATOR, '?name=ghost');
    const again = await stream(AS_VIEWER); // vic already holds one: 429
    expect(again.headers['retry-after']).toBe('5');
    const second = await stream(AS_OPERATOR);
    const full = await stream({ authorization: `Bearer ${SECRETS.operator}` }); // 2 of 2 open: 503
    expect(full.headers['retry-after']).toBe('5');
    open.close();
    second.close();

    // Shutting down: requests pipelined on a connection held open by one in flight get 503.
    // One per connection: the first 503 says Connection: close, so Node sends nothing after it.
    await shuttingDown(['/healthz']);
    await shuttingDown(['/metrics']);

    // Redis gone: every store route 503 STORE_UNAVAILABLE, /readyz 503 NOT_READY.
    await server.kill();
    await waitUntil(async () => (await app.inject({ url: '/readyz' })).statusCode === 503, { what: 'readyz 503' });
    await inject('GET /readyz', { url: '/readyz' });
    await inject('GET /v1/breakers', { url: '/v1/breakers', headers: AS_VIEWER });
    await inject('GET /v1/breakers/{name}', { url: '/v1/breakers/pusher', headers: AS_VIEWER });
    await inject('GET /v1/breakers/{name}/audit', { url: '/v1/breakers/pusher/audit', headers: AS_VIEWER });
    for (const [op, method, path, body] of MUTATIONS) {
      await inject(op, { method, url: path, headers: AS_OPERATOR, ...(body === undefined ? {} : { payload: body }) });
    }
    await stream(AS_VIEWER);

    // Now grade: every response declared and conforming; every declared status seen.
    const problems: string[] = [];
    let pairs = 0;
    let conforming = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        const op = `${method.toUpperCase()} ${path}`;
        const responses = seen.get(op) ?? [];
        for (const status of Object.keys(operation.responses).filter((s) => s !== 'default')) {
          pairs += 1;
          const got = responses.filter((r) => String(r.status) === status);
          if (got.length === 0) {
            problems.push(`${op} ${status}: declared, never provoked`);
            continue;
          }
          const before = problems.length;
          for (const res of got) problems.push(...conformance(op, operation, res));
          if (problems.length === before) conforming += 1;
        }
        for (const res of responses) {
          if (!operation.responses[String(res.status)]) problems.push(`${op} answered ${res.status}: not declared`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(conforming).toBe(pairs);
    expect(pairs).toBeGreaterThanOrEqual(60);
    console.info(`OpenAPI conformance: ${conforming} of ${pairs} operation × status pairs conform`);
  });
});

/** What is wrong with one response against its operation's declaration (nothing: []). */
function conformance(op: string, operation: Operation, res: Seen): string[] {
  const declared = operation.responses[String(res.status)];
  if (!declared) return [`${op} ${res.status}: not declared`];
  const media = res.contentType.split(';')[0]?.trim() ?? '';
  const content = declared.content?.[media];
  if (!content) return [`${op} ${res.status}: ${media} not declared (${Object.keys(declared.content ?? {})})`];
  const value = media === 'application/json' ? JSON.parse(res.body) : res.body;
  const validate = ajv.compile(content.schema);
  if (!validate(value)) return [`${op} ${res.status}: ${ajv.errorsText(validate.errors)} in ${res.body.slice(0, 200)}`];
  return [];
}

/**
 * Holds one request in flight on a raw connection (a snapshot read that waits),
 * starts closing the app, then pipelines GETs for `paths` on that connection:
 * Node hands them over at once, and the closing app answers 503 SHUTTING_DOWN.
 */
async function shuttingDown(paths: string[]): Promise<void> {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered: () => void = () => {};
  const inFlight = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const slowStore = Object.create(store) as RedisBreakerStore;
  slowStore.snapshot = async (name: string) => {
    entered();
    await held;
    return store.snapshot(name);
  };
  const closingApp = buildAdminApp({ store: slowStore, tokens: tokenConfig(Date.now()) });
  let closingStarted: () => void = () => {};
  const closing = new Promise<void>((resolve) => {
    closingStarted = resolve;
  });
  closingApp.addHook('preClose', async () => closingStarted());
  const refusals: string[] = [];
  // Refused at once, though the replies queue behind the held one: the error is the cue.
  closingApp.addHook('onError', async (request, _reply, error) => {
    if ((error as { code?: string }).code === 'SHUTTING_DOWN') refusals.push(request.url);
  });
  const base = await closingApp.listen({ host: '127.0.0.1', port: 0 });
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  let raw = '';
  socket.on('data', (chunk) => {
    raw += chunk.toString('utf8');
  });
  const request = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer ${SECRETS.viewer}\r\n\r\n`;
  socket.write(request('/v1/breakers/pusher'));
  await inFlight;
  const closed = closingApp.close();
  await closing;
  for (const path of paths) socket.write(request(path));
  await waitUntil(() => refusals.length === paths.length, { what: 'the pipelined requests refused' });
  release();
  await waitUntil(() => countResponses(raw) === paths.length + 1, { what: 'every response' });
  socket.destroy();
  await closed;
  const responses = parseResponses(raw);
  for (const [i, path] of paths.entries()) {
    const res = responses[i + 1] as Seen;
    record(`GET ${path}`, res);
  }
}

function countResponses(raw: string): number {
  return parseResponses(raw).length;
}

/** HTTP/1.1 responses with Content-Length bodies, in order. */
function parseResponses(raw: string): Seen[] {
  const out: Seen[] = [];
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({
      status: Number(head[0]?.split(' ')[1]),
      contentType: headers['content-type'] ?? '',
      body: rest.slice(end + 4, end + 4 + length),
      headers,
    });
    rest = rest.slice(end + 4 + length);
  }
}
