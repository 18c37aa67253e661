import { buildAdminApp } from '@breakwater/admin-api';
import { type BreakerStore, MAX_REASON_LENGTH, MemoryBreakerStore, RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { AS_OPERATOR, AS_VIEWER, bearer, SECRETS, tokenConfig } from './admin-fixtures.js';

/**
 * The table of bad requests: each gets its 4xx and code, and
 * afterwards every breaker's state and audit are exactly as before (the
 * store's clock stands still, so even `at` must match). On Redis, also byte
 * for byte: the same keys under the prefix with the same DUMP, and nothing
 * published on any channel under it.
 */

const NOW = 1_800_000_000_000;
const JSON_TYPE = { 'content-type': 'application/json' };

interface BadRequest {
  readonly what: string;
  readonly method?: 'GET' | 'POST' | 'DELETE' | 'PUT';
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent raw (set the content type in headers). */
  readonly payload?: unknown;
  readonly status: number;
  readonly code: string;
  /** A secret the request carries outside the Authorization header: the server's log must not hold it. */
  readonly notLogged?: string;
}

const OPEN = '/v1/breakers/pusher/force-open';
const CLOSE = '/v1/breakers/pusher/force-close';
const RESET = '/v1/breakers/pusher/reset';
const OVERRIDE = '/v1/breakers/pusher/override';
const AUDIT = '/v1/breakers/pusher/audit';
const CONFIG = '/v1/breakers/pusher/config';
const GOOD = { reason: 'pusher 5xx, INC-42', ttlSeconds: 900 };

const post = (
  what: string,
  url: string,
  payload: unknown,
  status: number,
  code: string,
  headers: Record<string, string> = AS_OPERATOR,
) => ({ what, method: 'POST', url, payload, headers, status, code }) as const;

const put = (
  what: string,
  payload: unknown,
  status: number,
  code: string,
  headers: Record<string, string> = AS_OPERATOR,
) => ({ what, method: 'PUT', url: CONFIG, payload, headers, status, code }) as const;

const TABLE: readonly BadRequest[] = [
  // Credentials
  { what: 'no Authorization header (read)', url: '/v1/breakers', status: 401, code: 'AUTH_REQUIRED' },
  post('no Authorization header (force-open)', OPEN, GOOD, 401, 'AUTH_REQUIRED', {}),
  post('Basic instead of Bearer', OPEN, GOOD, 401, 'AUTH_REQUIRED', { authorization: 'Basic b2xnYTpwYXNz' }),
  post('Bearer without a token', OPEN, GOOD, 401, 'AUTH_REQUIRED', { authorization: 'Bearer ' }),
  post('a token without the Bearer scheme', OPEN, GOOD, 401, 'AUTH_REQUIRED', { authorization: SECRETS.operator }),
  post('a wrong token', OPEN, GOOD, 401, 'AUTH_INVALID', bearer('it-operator-secret-0000002')),
  post('a token differing only in case', OPEN, GOOD, 401, 'AUTH_INVALID', bearer(SECRETS.operator.toUpperCase())),
  post('a prefix of a real token', OPEN, GOOD, 401, 'AUTH_INVALID', bearer(SECRETS.operator.slice(0, -1))),
  post('an expired operator token', OPEN, GOOD, 401, 'AUTH_EXPIRED', bearer(SECRETS.expired)),
  {
    what: 'an expired token (read)',
    url: '/v1/breakers',
    headers: bearer(SECRETS.expired),
    status: 401,
    code: 'AUTH_EXPIRED',
  },
  {
    what: 'the token in the query string',
    url: `/v1/breakers?access_token=${SECRETS.operator}`,
    status: 401,
    code: 'AUTH_REQUIRED',
    notLogged: SECRETS.operator,
  },
  {
    what: 'the token as the breaker name',
    url: `/v1/breakers/${SECRETS.operator}`,
    headers: AS_VIEWER,
    status: 404,
    code: 'BREAKER_NOT_FOUND',
    notLogged: SECRETS.operator,
  },
  {
    what: 'the token as a path segment of no route',
    url: `/v1/${SECRETS.operator}/breakers?token=${SECRETS.viewer}`,
    headers: AS_VIEWER,
    status: 404,
    code: 'ROUTE_NOT_FOUND',
    notLogged: SECRETS.operator,
  },
  post('a viewer forcing open', OPEN, GOOD, 403, 'FORBIDDEN', AS_VIEWER),
  post('a viewer forcing closed', CLOSE, GOOD, 403, 'FORBIDDEN', AS_VIEWER),
  post('a viewer resetting', RESET, { reason: 'x' }, 403, 'FORBIDDEN', AS_VIEWER),
  { what: 'a viewer clearing', method: 'DELETE', url: OVERRIDE, headers: AS_VIEWER, status: 403, code: 'FORBIDDEN' },
  { what: 'metrics without a token', url: '/metrics', status: 401, code: 'AUTH_REQUIRED' },
  // Names
  post('a name with a space', '/v1/breakers/bad%20name/force-open', GOOD, 400, 'INVALID_REQUEST'),
  post('a name starting with a dash', '/v1/breakers/-pusher/force-open', GOOD, 400, 'INVALID_REQUEST'),
  post('a 65-character name', `/v1/breakers/${'p'.repeat(65)}/force-open`, GOOD, 400, 'INVALID_REQUEST'),
  post('a name with a hash tag', '/v1/breakers/pu%7Bsh%7Der/force-open', GOOD, 400, 'INVALID_REQUEST'),
  post('a name with a slash', '/v1/breakers/pusher%2Fx/force-open', GOOD, 400, 'INVALID_REQUEST'),
  { what: 'a bad name (read)', url: '/v1/breakers/%00', headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  {
    what: 'a path that is not percent-encoding',
    url: `/v1/breakers/%?access_token=${SECRETS.operator}`,
    headers: AS_VIEWER,
    status: 400,
    code: 'INVALID_REQUEST',
    notLogged: SECRETS.operator,
  },
  post(
    'a name longer than the router reads',
    `/v1/breakers/${'p'.repeat(250)}/force-open`,
    GOOD,
    400,
    'INVALID_REQUEST',
  ),
  post('forcing open an unknown breaker', '/v1/breakers/ghost/force-open', GOOD, 404, 'BREAKER_NOT_FOUND'),
  post('resetting an unknown breaker', '/v1/breakers/ghost/reset', { reason: 'x' }, 404, 'BREAKER_NOT_FOUND'),
  {
    what: 'clearing an unknown breaker',
    method: 'DELETE',
    url: '/v1/breakers/ghost/override',
    headers: AS_OPERATOR,
    status: 404,
    code: 'BREAKER_NOT_FOUND',
  },
  {
    what: 'the audit of an unknown breaker',
    url: '/v1/breakers/ghost/audit',
    headers: AS_VIEWER,
    status: 404,
    code: 'BREAKER_NOT_FOUND',
  },
  // TTLs
  post('ttlSeconds below 10', OPEN, { ...GOOD, ttlSeconds: 9 }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds above 24 h', CLOSE, { ...GOOD, ttlSeconds: 86_401 }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds 0', OPEN, { ...GOOD, ttlSeconds: 0 }, 400, 'INVALID_REQUEST'),
  post('negative ttlSeconds', OPEN, { ...GOOD, ttlSeconds: -60 }, 400, 'INVALID_REQUEST'),
  post('fractional ttlSeconds', OPEN, { ...GOOD, ttlSeconds: 60.5 }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds as a string', OPEN, { ...GOOD, ttlSeconds: '60' }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds null', OPEN, { ...GOOD, ttlSeconds: null }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds missing', OPEN, { reason: GOOD.reason }, 400, 'INVALID_REQUEST'),
  post('ttlSeconds 1e400 (Infinity)', OPEN, '{"reason":"x","ttlSeconds":1e400}', 400, 'INVALID_REQUEST', {
    ...AS_OPERATOR,
    ...JSON_TYPE,
  }),
  post('ttl in ms instead of ttlSeconds', OPEN, { reason: 'x', ttlMs: 60_000 }, 400, 'INVALID_REQUEST'),
  // Reasons
  post('an empty reason', OPEN, { ...GOOD, reason: '' }, 400, 'INVALID_REQUEST'),
  post('a whitespace-only reason', OPEN, { ...GOOD, reason: ' \t\n ' }, 400, 'INVALID_REQUEST'),
  post(
    'a reason of 501 characters',
    OPEN,
    { ...GOOD, reason: 'r'.repeat(MAX_REASON_LENGTH + 1) },
    400,
    'INVALID_REQUEST',
  ),
  post(
    '501 emoji (501 characters)',
    OPEN,
    { ...GOOD, reason: '🌊'.repeat(MAX_REASON_LENGTH + 1) },
    400,
    'INVALID_REQUEST',
  ),
  post('a reason over the body limit', OPEN, { ...GOOD, reason: 'r'.repeat(20_000) }, 413, 'BODY_TOO_LARGE'),
  post('a reason that is a number', OPEN, { ...GOOD, reason: 42 }, 400, 'INVALID_REQUEST'),
  post('a reason that is an array', OPEN, { ...GOOD, reason: ['a'] }, 400, 'INVALID_REQUEST'),
  post('reset without a reason', RESET, {}, 400, 'INVALID_REQUEST'),
  post('reset with an empty reason', RESET, { reason: '' }, 400, 'INVALID_REQUEST'),
  {
    what: 'clear with an empty reason',
    method: 'DELETE',
    url: `${OVERRIDE}?reason=`,
    headers: AS_OPERATOR,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // Shapes and extra fields
  post('a spoofed actor', OPEN, { ...GOOD, actor: 'mallory' }, 400, 'INVALID_REQUEST'),
  post('reset with a ttlSeconds', RESET, { reason: 'x', ttlSeconds: 60 }, 400, 'INVALID_REQUEST'),
  post('a body that is an array', OPEN, [GOOD], 400, 'INVALID_REQUEST'),
  post('a body that is a JSON string', OPEN, '"force it"', 400, 'INVALID_REQUEST', { ...AS_OPERATOR, ...JSON_TYPE }),
  post('a body that is null', OPEN, 'null', 400, 'INVALID_REQUEST', { ...AS_OPERATOR, ...JSON_TYPE }),
  post('no body at all', OPEN, undefined, 400, 'INVALID_REQUEST'),
  post('a __proto__ key', OPEN, '{"reason":"x","ttlSeconds":60,"__proto__":{"admin":true}}', 400, 'INVALID_JSON', {
    ...AS_OPERATOR,
    ...JSON_TYPE,
  }),
  // Bad JSON
  post('truncated JSON', OPEN, '{"reason":"x",', 400, 'INVALID_JSON', { ...AS_OPERATOR, ...JSON_TYPE }),
  post('single-quoted JSON', OPEN, "{'reason':'x','ttlSeconds':60}", 400, 'INVALID_JSON', {
    ...AS_OPERATOR,
    ...JSON_TYPE,
  }),
  post('an empty JSON body', RESET, '', 400, 'INVALID_JSON', { ...AS_OPERATOR, ...JSON_TYPE }),
  // Content types
  post('text/plain', OPEN, JSON.stringify(GOOD), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    ...AS_OPERATOR,
    'content-type': 'text/plain',
  }),
  post('a form', OPEN, 'reason=x&ttlSeconds=60', 415, 'UNSUPPORTED_MEDIA_TYPE', {
    ...AS_OPERATOR,
    'content-type': 'application/x-www-form-urlencoded',
  }),
  post('multipart', OPEN, '--b\r\n\r\nx\r\n--b--', 415, 'UNSUPPORTED_MEDIA_TYPE', {
    ...AS_OPERATOR,
    'content-type': 'multipart/form-data; boundary=b',
  }),
  post('a malformed content type', OPEN, JSON.stringify(GOOD), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    ...AS_OPERATOR,
    'content-type': 'json',
  }),
  // Query strings
  { what: 'limit 0', url: `${AUDIT}?limit=0`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  { what: 'limit 1001', url: `${AUDIT}?limit=1001`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  { what: 'limit abc', url: `${AUDIT}?limit=abc`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  { what: 'limit 2.5', url: `${AUDIT}?limit=2.5`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  { what: 'limit twice', url: `${AUDIT}?limit=1&limit=2`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  { what: 'an unknown query field', url: `${AUDIT}?since=0`, headers: AS_VIEWER, status: 400, code: 'INVALID_REQUEST' },
  {
    what: 'a query field on the list',
    url: '/v1/breakers?state=open',
    headers: AS_VIEWER,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'a query field on a snapshot',
    url: '/v1/breakers/pusher?verbose=1',
    headers: AS_VIEWER,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  post('a spoofed actor in the query', `${OPEN}?actor=mallory`, GOOD, 400, 'INVALID_REQUEST'),
  post('a query field on reset', `${RESET}?force=1`, { reason: 'x' }, 400, 'INVALID_REQUEST'),
  {
    what: 'clear with an unknown query field',
    method: 'DELETE',
    url: `${OVERRIDE}?ttlSeconds=60`,
    headers: AS_OPERATOR,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // Clearing takes its reason in the query; a body would be silently dropped.
  {
    what: 'clear with a JSON body',
    method: 'DELETE',
    url: OVERRIDE,
    headers: AS_OPERATOR,
    payload: { reason: 'pusher recovered' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'clear with an empty JSON object',
    method: 'DELETE',
    url: OVERRIDE,
    headers: { ...AS_OPERATOR, ...JSON_TYPE },
    payload: '{}',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    what: 'clear with a form body',
    method: 'DELETE',
    url: OVERRIDE,
    headers: { ...AS_OPERATOR, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'reason=recovered',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  // Config
  put('a viewer changing the config', { reason: 'x', config: { quorum: 2 } }, 403, 'FORBIDDEN', AS_VIEWER),
  put('a config without a reason', { config: { quorum: 2 } }, 400, 'INVALID_REQUEST'),
  put('an empty config', { reason: 'x', config: {} }, 400, 'INVALID_REQUEST'),
  put('an unknown config field', { reason: 'x', config: { quorum: 2, windowSeconds: 30 } }, 400, 'INVALID_REQUEST'),
  put('a failureThreshold of 0', { reason: 'x', config: { failureThreshold: 0 } }, 400, 'INVALID_REQUEST'),
  put('a quorum as a string', { reason: 'x', config: { quorum: '2' } }, 400, 'INVALID_REQUEST'),
  put(
    'a window that is not a multiple of the bucket',
    { reason: 'x', config: { bucketMs: 7_000 } },
    400,
    'INVALID_REQUEST',
  ),
  put('a cooldown above the stored cap', { reason: 'x', config: { cooldownMs: 60_000 } }, 400, 'INVALID_REQUEST'),
  put(
    'a failure rate of 0',
    { reason: 'x', config: { failureRate: { threshold: 0, minimumCalls: 1 } } },
    400,
    'INVALID_REQUEST',
  ),
  {
    what: 'the config of an unknown breaker',
    method: 'PUT',
    url: '/v1/breakers/ghost/config',
    headers: AS_OPERATOR,
    payload: { reason: 'x', config: { quorum: 2 } },
    status: 404,
    code: 'BREAKER_NOT_FOUND',
  },
  // Routes
  { what: 'PUT on a POST route', method: 'PUT', url: OPEN, headers: AS_OPERATOR, status: 404, code: 'ROUTE_NOT_FOUND' },
  post('POST on the PUT config route', CONFIG, { reason: 'x', config: { quorum: 2 } }, 404, 'ROUTE_NOT_FOUND'),
  post('a mutation that does not exist', '/v1/breakers/pusher/trip', GOOD, 404, 'ROUTE_NOT_FOUND'),
];

interface World {
  names: string[];
  snapshots: unknown[];
  audits: unknown[];
}

async function world(store: BreakerStore): Promise<World> {
  const names = await store.list();
  return {
    names,
    snapshots: await Promise.all(names.map((n) => store.snapshot(n))),
    audits: await Promise.all(names.map((n) => store.audit(n, { limit: 1_000 }))),
  };
}

/** Every key under `prefix` with its DUMP (the value's serialized bytes), sorted by key. */
async function redisKeys(client: Redis, prefix: string): Promise<[string, string][]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  keys.sort();
  const dumps = await Promise.all(keys.map((key) => client.dumpBuffer(key)));
  return keys.map((key, i) => [key, dumps[i]?.toString('hex') ?? 'missing']);
}

/**
 * Everything published on channels under a prefix. {@link published} answers
 * what arrived up to now: it publishes a marker of its own and waits for it,
 * and Redis delivers in publish order, so any message a finished request
 * published is in by then. No waiting on time.
 */
class ChannelWatch {
  readonly #subscriber: Redis;
  readonly #publisher: Redis;
  readonly #marker: string;
  #seen: [string, string][] = [];
  #markerArrived: (() => void) | undefined;
  #markers = 0;

  constructor(
    url: string,
    publisher: Redis,
    readonly prefix: string,
  ) {
    this.#subscriber = new Redis(url);
    this.#publisher = publisher;
    this.#marker = `${prefix}test-marker`;
    this.#subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
      if (channel === this.#marker && message === String(this.#markers)) this.#markerArrived?.();
      else this.#seen.push([channel, message]);
    });
  }

  async start(): Promise<void> {
    await this.#subscriber.psubscribe(`${this.prefix}*`);
  }

  /** The messages (other than markers) published under the prefix since the last call. */
  async published(): Promise<[string, string][]> {
    this.#markers += 1;
    const arrived = new Promise<void>((resolve) => {
      this.#markerArrived = resolve;
    });
    await this.#publisher.publish(this.#marker, String(this.#markers));
    await arrived;
    const seen = this.#seen;
    this.#seen = [];
    return seen;
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}

/** pusher: tripped with an active override (so a wrongly accepted clear or reset would show); billing: closed. */
async function seed(store: BreakerStore): Promise<void> {
  await store.register('pusher');
  await store.register('billing');
  await store.record('pusher', 'pod-1', { failures: 25, successes: 4 });
  await store.forceClose('pusher', { reason: 'keep audio flowing', actor: 'olga', ttlMs: 3_600_000 });
}

describe.each(['redis', 'memory'] as const)('bad requests against a %s store', (kind) => {
  let redis: TestRedis | undefined;
  let client: Redis | undefined;
  let store: BreakerStore;
  let app: ReturnType<typeof buildAdminApp>;
  let before: World;
  /** Redis only: the keys under the prefix, and what is published there. */
  let beforeKeys: [string, string][] | undefined;
  let channels: ChannelWatch | undefined;
  /** The app's log, one JSON line per entry, at the most verbose level. */
  const log: string[] = [];

  beforeAll(async () => {
    const clock = () => NOW;
    if (kind === 'redis') {
      redis = await acquireRedis('admin-bad-requests');
      client = new Redis(redis.url);
      store = new RedisBreakerStore({ client, prefix: redis.prefix, clock });
    } else {
      store = new MemoryBreakerStore({ clock });
    }
    await seed(store);
    // A generous rate limit: the refusals below must not be 429s (that case has its own test).
    app = buildAdminApp({
      store,
      tokens: tokenConfig(NOW),
      clock,
      rateLimit: { burst: 10_000, perMinute: 60_000 },
      logger: pino({ level: 'trace' }, { write: (line: string) => void log.push(line) }),
    });
    await app.ready();
    before = await world(store);
    if (client && redis) {
      beforeKeys = await redisKeys(client, redis.prefix);
      channels = new ChannelWatch(redis.url, client, redis.prefix);
      await channels.start();
      // The check sees what the store publishes: a real change shows on it.
      await store.forceClose('pusher', { reason: 'keep audio flowing', actor: 'olga', ttlMs: 3_600_000 });
      expect(await channels.published()).toEqual([[expect.stringContaining('{pusher}'), expect.any(String)]]);
      before = await world(store);
      beforeKeys = await redisKeys(client, redis.prefix);
    }
  });

  afterAll(async () => {
    channels?.close();
    await app?.close();
    await store?.close();
    client?.disconnect();
    await redis?.release();
  });

  it('has at least 40 cases', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('$what → $status $code, nothing changed', async (row) => {
    log.length = 0;
    const res = await app.inject({
      method: row.method ?? 'GET',
      url: row.url,
      headers: row.headers ?? {},
      ...(row.payload === undefined ? {} : { payload: row.payload as string }),
    });
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: row.status, code: row.code });
    expect(res.json()).toEqual({ statusCode: row.status, code: row.code, message: expect.any(String) });
    if (client && redis && channels) {
      expect(await channels.published()).toEqual([]);
      expect(await redisKeys(client, redis.prefix)).toEqual(beforeKeys);
    }
    expect(await world(store)).toEqual(before);
    if (row.notLogged !== undefined) {
      expect(log.join('')).toContain('"msg":"incoming request"');
      expect(log.join('')).not.toContain(row.notLogged);
    }
  });

  it('a 429 changes nothing either', async () => {
    const limited = buildAdminApp({ store, tokens: tokenConfig(NOW), clock: () => NOW, rateLimit: { burst: 1 } });
    try {
      const first = await limited.inject({
        method: 'POST',
        url: RESET,
        headers: AS_OPERATOR,
        payload: { reason: 'a' },
      });
      expect(first.statusCode).toBe(200);
      const after = await world(store);
      const second = await limited.inject({ method: 'POST', url: OPEN, headers: AS_OPERATOR, payload: GOOD });
      expect(second.statusCode).toBe(429);
      expect(second.json().code).toBe('RATE_LIMITED');
      expect(second.headers['retry-after']).toBe('2');
      expect(await world(store)).toEqual(after);
    } finally {
      await limited.close();
    }
  });

  it('accepts a reason of 500 emoji: 500 characters, though 1000 UTF-16 units and 2000 UTF-8 bytes', async () => {
    // The schema and the store both count code points; the Lua scripts' cap (2000 bytes) holds 500 of 4 bytes.
    const reason = '🌊'.repeat(MAX_REASON_LENGTH);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/breakers/billing/force-open',
      headers: AS_OPERATOR,
      payload: { reason, ttlSeconds: 60 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().override).toMatchObject({ mode: 'forced_open', reason });
    expect((await store.audit('billing', { limit: 1 }))[0]).toMatchObject({ action: 'force_open', reason });
  });
});
