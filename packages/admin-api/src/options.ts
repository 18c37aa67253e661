import { type BreakerStore, type Clock, InvalidArgumentError } from '@breakwater/breaker-core';
import {
  integerInRange,
  knownKeys,
  matching,
  oneOf,
  plainObject,
  systemClock,
} from '@breakwater/breaker-core/internal';
import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { type AdminToken, type AdminTokenConfig, resolveAdminTokens } from './auth/admin-token.js';
import type { RouteAccess } from './auth/route-access.js';
import type { Readiness } from './readiness.js';

export interface RateLimitOptions {
  /** Mutations a token may make at once after being idle. Range 1 – 10_000. @default 10 */
  readonly burst?: number;
  /** Sustained mutations per minute per token. Range 1 – 60_000. @default 30 */
  readonly perMinute?: number;
}

/** Bounds of `GET /v1/events` (Server-Sent Events). */
export interface EventStreamOptions {
  /** Streams open at once on this server; one more gets 503 TOO_MANY_STREAMS. Range 1 – 10_000. @default 100 */
  readonly maxStreams?: number;
  /** Streams one token may hold open; one more gets 429 TOO_MANY_STREAMS_FOR_TOKEN. Range 1 – 10_000. @default 10 */
  readonly maxStreamsPerToken?: number;
  /** A comment line is sent this often, so proxies and clients see the stream alive, ms. Range 1_000 – 30_000. @default 15_000 */
  readonly heartbeatMs?: number;
  /**
   * Bytes a stream may have waiting for a client that reads too slowly; past it the
   * stream is cut (counted as `slow_consumer`). Range 65_536 – 16_777_216. @default 1_048_576
   */
  readonly maxBufferedBytes?: number;
  /** How often the list of breakers is read again to pick up new ones, ms. Range 1_000 – 300_000. @default 10_000 */
  readonly registryScanMs?: number;
  /** Audit entries per breaker a reconnect (`Last-Event-ID`) may replay; more missed is a gap. Range 1 – 1_000. @default 100 */
  readonly maxReplayPerBreaker?: number;
}

export interface ResolvedEventStreamOptions {
  readonly maxStreams: number;
  readonly maxStreamsPerToken: number;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  readonly registryScanMs: number;
  readonly maxReplayPerBreaker: number;
}

/** What the admin routes need, whether standalone (buildAdminApp) or mounted (adminApiPlugin). */
export interface AdminApiOptions {
  /** The breakers to drive; the caller owns it (the app never closes it). */
  readonly store: BreakerStore;
  /** Who may call the API. At least one; see AdminTokenConfig. */
  readonly tokens: readonly AdminTokenConfig[];
  /** Where the metrics go (and what `/metrics` serves). @default a new, private Registry */
  readonly registry?: Registry;
  /** What `/readyz` checks. @default none: ready whenever the process is up */
  readonly readiness?: Readiness;
  /** Time for token expiry and the rate limiter, ms since epoch. @default Date.now */
  readonly clock?: Clock;
  /** Path prefix of every route when mounted, e.g. `/admin`. @default '' */
  readonly prefix?: string;
  /** Largest request body, bytes. Range 1_024 – 1_048_576. @default 16_384 */
  readonly bodyLimitBytes?: number;
  readonly rateLimit?: RateLimitOptions;
  /** Who may read `/metrics`: 'public', 'viewer' or 'operator'. @default 'viewer' */
  readonly metricsAccess?: RouteAccess;
  /** How long `/readyz` waits for the store, ms. Range 100 – 60_000. @default 2_000 */
  readonly readinessTimeoutMs?: number;
  /** Most breakers `GET /v1/breakers` returns (the rest are flagged `truncated`). Range 1 – 10_000. @default 500 */
  readonly maxListedBreakers?: number;
  /** Bounds of the event stream; see EventStreamOptions. */
  readonly events?: EventStreamOptions;
}

/** buildAdminApp's options: the routes' options plus the logger of the Fastify instance it creates. */
export interface AdminAppOptions extends AdminApiOptions {
  /** A pino logger (or anything Fastify accepts as `loggerInstance`). @default silent */
  readonly logger?: FastifyBaseLogger;
}

export const DEFAULT_ADMIN_OPTIONS = Object.freeze({
  prefix: '',
  bodyLimitBytes: 16_384,
  rateLimit: Object.freeze({ burst: 10, perMinute: 30 }),
  metricsAccess: 'viewer' as RouteAccess,
  readinessTimeoutMs: 2_000,
  maxListedBreakers: 500,
  events: Object.freeze({
    maxStreams: 100,
    maxStreamsPerToken: 10,
    heartbeatMs: 15_000,
    maxBufferedBytes: 1_048_576,
    registryScanMs: 10_000,
    maxReplayPerBreaker: 100,
  }),
});

/** Each event-stream option's allowed range, inclusive. */
const EVENT_RANGES: Readonly<Record<keyof ResolvedEventStreamOptions, readonly [number, number]>> = {
  maxStreams: [1, 10_000],
  maxStreamsPerToken: [1, 10_000],
  heartbeatMs: [1_000, 30_000],
  maxBufferedBytes: [65_536, 16_777_216],
  registryScanMs: [1_000, 300_000],
  maxReplayPerBreaker: [1, 1_000],
};

export interface ResolvedAdminOptions {
  readonly store: BreakerStore;
  readonly tokens: readonly AdminToken[];
  readonly registry: Registry;
  readonly readiness: Readiness | undefined;
  readonly clock: Clock;
  readonly prefix: string;
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly burst: number; readonly perMinute: number };
  readonly metricsAccess: RouteAccess;
  readonly readinessTimeoutMs: number;
  readonly maxListedBreakers: number;
  readonly events: ResolvedEventStreamOptions;
}

const OPTION_KEYS = [
  'store',
  'tokens',
  'registry',
  'readiness',
  'clock',
  'prefix',
  'bodyLimitBytes',
  'rateLimit',
  'metricsAccess',
  'readinessTimeoutMs',
  'maxListedBreakers',
  'events',
] as const;

const STORE_METHODS = [
  'snapshot',
  'list',
  'forceOpen',
  'forceClose',
  'clearOverride',
  'reset',
  'updateConfig',
  'audit',
  'subscribe',
] as const;

/** Fills defaults and checks every option; throws InvalidArgumentError naming the first bad one. */
export function resolveAdminOptions(options: AdminApiOptions, extraKeys: readonly string[] = []): ResolvedAdminOptions {
  const o = plainObject('options', options);
  knownKeys('options', o, [...OPTION_KEYS, ...extraKeys]);
  const store = o.store as BreakerStore | undefined;
  if (typeof store !== 'object' || store === null || STORE_METHODS.some((m) => typeof store[m] !== 'function')) {
    throw new InvalidArgumentError(
      'options.store',
      'expected a BreakerStore (RedisBreakerStore or MemoryBreakerStore)',
    );
  }
  if (o.registry !== undefined && !(o.registry instanceof Registry)) {
    throw new InvalidArgumentError('options.registry', 'expected a prom-client Registry');
  }
  const readiness = o.readiness as Readiness | undefined;
  if (readiness !== undefined && typeof readiness?.ping !== 'function') {
    throw new InvalidArgumentError('options.readiness', 'expected { ping(): Promise<void> }');
  }
  if (o.clock !== undefined && typeof o.clock !== 'function') {
    throw new InvalidArgumentError('options.clock', 'expected a function returning ms since epoch');
  }
  const rate = plainObject('options.rateLimit', o.rateLimit ?? {});
  knownKeys('options.rateLimit', rate, ['burst', 'perMinute']);
  const events = plainObject('options.events', o.events ?? {});
  knownKeys('options.events', events, Object.keys(EVENT_RANGES));
  const prefix = o.prefix ?? DEFAULT_ADMIN_OPTIONS.prefix;
  if (prefix !== '') matching('options.prefix', prefix, /^(\/[A-Za-z0-9_.~-]+)+$/, 'a path like "/admin", or ""');
  return {
    store,
    tokens: resolveAdminTokens(o.tokens, 'options.tokens'),
    registry: (o.registry as Registry | undefined) ?? new Registry(),
    readiness,
    clock: (o.clock as Clock | undefined) ?? systemClock,
    prefix: prefix as string,
    bodyLimitBytes: integerInRange(
      'options.bodyLimitBytes',
      o.bodyLimitBytes ?? DEFAULT_ADMIN_OPTIONS.bodyLimitBytes,
      1_024,
      1_048_576,
    ),
    rateLimit: {
      burst: integerInRange('options.rateLimit.burst', rate.burst ?? DEFAULT_ADMIN_OPTIONS.rateLimit.burst, 1, 10_000),
      perMinute: integerInRange(
        'options.rateLimit.perMinute',
        rate.perMinute ?? DEFAULT_ADMIN_OPTIONS.rateLimit.perMinute,
        1,
        60_000,
      ),
    },
    metricsAccess: oneOf('options.metricsAccess', o.metricsAccess ?? DEFAULT_ADMIN_OPTIONS.metricsAccess, [
      'public',
      'viewer',
      'operator',
    ] as const),
    readinessTimeoutMs: integerInRange(
      'options.readinessTimeoutMs',
      o.readinessTimeoutMs ?? DEFAULT_ADMIN_OPTIONS.readinessTimeoutMs,
      100,
      60_000,
    ),
    maxListedBreakers: integerInRange(
      'options.maxListedBreakers',
      o.maxListedBreakers ?? DEFAULT_ADMIN_OPTIONS.maxListedBreakers,
      1,
      10_000,
    ),
    events: Object.fromEntries(
      Object.entries(EVENT_RANGES).map(([key, [min, max]]) => [
        key,
        integerInRange(
          `options.events.${key}`,
          events[key] ?? DEFAULT_ADMIN_OPTIONS.events[key as keyof ResolvedEventStreamOptions],
          min,
          max,
        ),
      ]),
    ) as unknown as ResolvedEventStreamOptions,
  };
}
