import { InvalidArgumentError, type ReconnectRamp } from '@breakwater/breaker-core';
import { integerInRange, knownKeys, numberInRange, plainObject } from '@breakwater/breaker-core/internal';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { isSessionBreaker, type SessionBreaker } from '../breaker/session-breaker.js';
import { ConversationFallback, type FallbackHandler } from '../conversation/conversation-fallback.js';
import { isScheduler, type Scheduler, systemScheduler } from '../time/scheduler.js';
import type { PusherDialer } from '../transport/pusher-connection.js';
import { DEFAULT_USER_AGENT, userAgentProblem } from '../transport/user-agent.js';
import { wsDialer } from '../transport/ws-dialer.js';

export interface PusherSessionOptions {
  /** pusher's base URL, `ws://` or `wss://` (the session adds `/v1/trigger/listen?uid=…&sample_rate=…`). Required. */
  pusherUrl: string;
  /** The user id, 1–256 characters, URL-encoded into the query. Required. */
  uid: string;
  /** The cluster breaker for pusher (breaker-core's `ClusterBreaker`), shared by the pod's sessions. Required. */
  breaker: SessionBreaker;
  /**
   * Where conversations go when pusher cannot take them: a handler (the session
   * runs it with the default concurrency, timeout and queue) or a
   * {@link ConversationFallback} shared by the pod's sessions. Required.
   */
  fallback: FallbackHandler | ConversationFallback;
  /** Audio sample rate, Hz, sent in the query. Integer 1 – 192_000. @default 16_000 */
  sampleRate?: number;
  /**
   * Cluster-wide reconnect ramp (breaker-core's `RedisReconnectRamp`), asked before
   * every first connect and every reconnect attempt. `null`: nothing bounds the
   * fleet's reconnect rate; recovery is spread by jitter only (`recoverySpreadMs`),
   * and a session with a real ClusterBreaker logs one warning per process about it.
   * @default null
   */
  ramp?: ReconnectRamp | null;
  /** pino logger; the session logs through a child with `session`. @default silent */
  logger?: Logger;
  /**
   * prom-client registry for the metrics (one set per registry, shared by sessions).
   * @default a private Registry shared by every session given none (not exported anywhere)
   */
  registry?: Registry;
  /** Time and timers. @default real time */
  clock?: Scheduler;
  /** Random numbers in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Opens connections. @default the `ws` dialer */
  dialer?: PusherDialer;
  /** Names the session in logs. @default `<uid>#<n>` */
  sessionId?: string;
  /**
   * The `User-Agent` header of every handshake, so pusher's logs can tell clients
   * apart: 1–256 printable ASCII characters. An app that wants its own name in
   * pusher's logs appends it to the default (`${DEFAULT_USER_AGENT} listen/2.3.1`).
   * @default `breakwater-listen-client/<VERSION> (node/<process.versions.node>)` ({@link DEFAULT_USER_AGENT})
   */
  userAgent?: string;
  /** A dial that has not opened by then fails, ms. 1 – 600_000. @default 3_000 */
  connectTimeoutMs?: number;
  /** Extra dials within one attempt after the first fails. Integer 0 – 10. @default 3 */
  quickRetries?: number;
  /** First quick-retry delay, ms, doubling. 1 – 60_000. @default 250 */
  quickRetryBaseMs?: number;
  /** Cap on a quick-retry delay, ms. @default 2_000 */
  quickRetryMaxMs?: number;
  /** First reconnect backoff, ms, doubling per failed attempt. 1 – 3_600_000. @default 1_000 */
  backoffBaseMs?: number;
  /** Cap on a backoff, ms. @default 60_000 */
  backoffMaxMs?: number;
  /** A backoff is shortened by up to this fraction at random (spreads the fleet). 0 – 1. @default 0.5 */
  backoffJitter?: number;
  /** Failed attempts after which the session is degraded. Integer 1 – 100. @default 6 */
  degradeAfterFailures?: number;
  /** A degraded session considers one probe per this cooldown, ms. 1 – 86_400_000. @default 60_000 */
  degradedProbeIntervalMs?: number;
  /**
   * In half_open, a session not granted the lease (another pod holds it) asks again after
   * this, ms (or `degradedProbeIntervalMs` if shorter), spread like it: a holder that dies
   * without reporting lets its lease lapse (breaker `probeLeaseMs`, 10 s by default) with no
   * transition to wake anyone, so this bounds how long the fleet waits for the next probe.
   * Asking is cheap: breaker-core answers from the pod's view while another pod's lease is
   * live. 1 – 86_400_000. @default 10_000
   */
  leaseRetryMs?: number;
  /** When the breaker closes, degraded sessions reconnect at a random point within this, ms. 0 – 3_600_000. @default 10_000 */
  recoverySpreadMs?: number;
  /**
   * A ramp that has not answered by then counts as unreachable (the attempt goes
   * ahead), ms. The dial that follows still gets the whole `connectTimeoutMs`, so a
   * first connect (`start()`) resolves within `rampTimeoutMs + connectTimeoutMs`. @default 1_000
   */
  rampTimeoutMs?: number;
  /**
   * A dial counts as a success for the cluster breaker (`recordSuccess()`, or the
   * half-open probe's `reportProbe('success')`) only once its connection has stayed
   * open this long; lost sooner, the dial is one failure — except a 1001 "going away"
   * from pusher (a deploy), which is no verdict once (see `DialVerdict`). A handshake
   * alone proves little: a pusher that accepts and closes with 1011 would otherwise
   * close the breaker every cooldown. 0 = success at the handshake. ms, 0 – 600_000.
   * @default 1_000
   */
  probeConfirmMs?: number;
  /** A connection must last this long to reset the failure count; shorter ones count as failed attempts, ms. @default 10_000 */
  stableConnectionMs?: number;
  /** Heartbeat frame (opcode 100) interval, ms. 1 – 3_600_000. @default 20_000 */
  heartbeatIntervalMs?: number;
  /** WebSocket ping interval, ms. @default 20_000 */
  pingIntervalMs?: number;
  /** A ping unanswered this long means pusher is silent: the socket is terminated, ms. @default 10_000 */
  pongTimeoutMs?: number;
  /** Transcript segments kept while not connected (oldest dropped beyond it). Integer 0 – 1_000_000. @default 1_000 */
  transcriptBufferSize?: number;
  /**
   * Bytes of transcript (the segments' JSON) kept while not connected; the oldest
   * segments are dropped beyond it, and a segment larger than it is not kept.
   * 300 sessions × 512 KiB ≈ 150 MiB per pod at worst. Integer 0 – 1_073_741_824.
   * @default 524_288
   */
  transcriptBufferBytes?: number;
  /** Audio is dropped while the socket holds more than this unsent, bytes. @default 1_048_576 */
  maxSocketBufferedBytes?: number;
  /** pusher must answer a 104 within this, or the conversation goes to the fallback, ms. @default 30_000 */
  conversationTimeoutMs?: number;
  /** Conversations waiting on this session at once; beyond it they go to the fallback (`overloaded`). @default 10_000 */
  maxPendingConversations?: number;
  /**
   * Ended conversation ids remembered so a repeat gets the same outcome (fallback
   * results included, so this is memory per session). Integer 0 – 1_000_000. @default 1_000
   */
  rememberConversations?: number;
  /** …each for at most this long after it ended, ms; a repeat after that is a new request. 0 – 86_400_000. @default 600_000 */
  rememberConversationsMs?: number;
  /** close() waits this long for answers to conversations already sent, ms. 0 – 600_000. @default 2_000 */
  closeTimeoutMs?: number;
}

/** Defaults of every numeric option, from the incident analysis (DESIGN.md, layer 2). */
export const DEFAULT_PUSHER_SESSION_OPTIONS = Object.freeze({
  sampleRate: 16_000,
  connectTimeoutMs: 3_000,
  quickRetries: 3,
  quickRetryBaseMs: 250,
  quickRetryMaxMs: 2_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  backoffJitter: 0.5,
  degradeAfterFailures: 6,
  degradedProbeIntervalMs: 60_000,
  leaseRetryMs: 10_000,
  recoverySpreadMs: 10_000,
  rampTimeoutMs: 1_000,
  probeConfirmMs: 1_000,
  stableConnectionMs: 10_000,
  heartbeatIntervalMs: 20_000,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 10_000,
  transcriptBufferSize: 1_000,
  transcriptBufferBytes: 524_288,
  maxSocketBufferedBytes: 1_048_576,
  conversationTimeoutMs: 30_000,
  maxPendingConversations: 10_000,
  rememberConversations: 1_000,
  rememberConversationsMs: 600_000,
  closeTimeoutMs: 2_000,
});

type Numeric = keyof typeof DEFAULT_PUSHER_SESSION_OPTIONS;

export type ResolvedSessionOptions = { readonly [K in Numeric]: number } & {
  readonly url: string;
  readonly uid: string;
  readonly breaker: SessionBreaker;
  readonly fallback: ConversationFallback;
  readonly ramp: ReconnectRamp | null;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock: Scheduler;
  readonly random: () => number;
  readonly dialer: PusherDialer;
  readonly sessionId: string;
  readonly userAgent: string;
};

const HOUR = 3_600_000;
/** [min, max] of each numeric option; integers unless listed in FRACTIONS. */
const RANGES: Record<Numeric, [number, number]> = {
  sampleRate: [1, 192_000],
  connectTimeoutMs: [1, 600_000],
  quickRetries: [0, 10],
  quickRetryBaseMs: [1, 60_000],
  quickRetryMaxMs: [1, 600_000],
  backoffBaseMs: [1, HOUR],
  backoffMaxMs: [1, 24 * HOUR],
  backoffJitter: [0, 1],
  degradeAfterFailures: [1, 100],
  degradedProbeIntervalMs: [1, 24 * HOUR],
  leaseRetryMs: [1, 24 * HOUR],
  recoverySpreadMs: [0, HOUR],
  rampTimeoutMs: [1, 600_000],
  probeConfirmMs: [0, 600_000],
  stableConnectionMs: [0, 24 * HOUR],
  heartbeatIntervalMs: [1, HOUR],
  pingIntervalMs: [1, HOUR],
  pongTimeoutMs: [1, HOUR],
  transcriptBufferSize: [0, 1_000_000],
  transcriptBufferBytes: [0, 1_073_741_824],
  maxSocketBufferedBytes: [0, 1_073_741_824],
  conversationTimeoutMs: [1, 24 * HOUR],
  maxPendingConversations: [1, 1_000_000],
  rememberConversations: [0, 1_000_000],
  rememberConversationsMs: [0, 24 * HOUR],
  closeTimeoutMs: [0, 600_000],
};
const FRACTIONS: ReadonlySet<Numeric> = new Set(['backoffJitter']);
const OBJECT_KEYS = [
  'pusherUrl',
  'uid',
  'breaker',
  'fallback',
  'ramp',
  'logger',
  'registry',
  'clock',
  'random',
  'dialer',
  'sessionId',
  'userAgent',
];

let sessionSeq = 0;
/** Shared by sessions given no logger / registry: one silent logger, one set of metrics per process. */
let defaultLogger: Logger | undefined;
let defaultRegistry: Registry | undefined;

function sharedSilentLogger(): Logger {
  defaultLogger ??= pino({ level: 'silent' });
  return defaultLogger;
}

function sharedRegistry(): Registry {
  defaultRegistry ??= new Registry();
  return defaultRegistry;
}

/** Fills defaults and validates; every error is an InvalidArgumentError naming the option. */
export function resolveSessionOptions(options: PusherSessionOptions): ResolvedSessionOptions {
  const given = plainObject('options', options);
  knownKeys('options', given, [...OBJECT_KEYS, ...Object.keys(RANGES)]);
  const numbers = {} as Record<Numeric, number>;
  for (const key of Object.keys(RANGES) as Numeric[]) {
    const [min, max] = RANGES[key];
    const value = given[key] ?? DEFAULT_PUSHER_SESSION_OPTIONS[key];
    numbers[key] = FRACTIONS.has(key)
      ? numberInRange(`options.${key}`, value, min, max)
      : integerInRange(`options.${key}`, value, min, max);
  }
  if (numbers.quickRetryMaxMs < numbers.quickRetryBaseMs) {
    throw new InvalidArgumentError(
      'options.quickRetryMaxMs',
      `must be ≥ quickRetryBaseMs (${numbers.quickRetryBaseMs})`,
    );
  }
  if (numbers.backoffMaxMs < numbers.backoffBaseMs) {
    throw new InvalidArgumentError('options.backoffMaxMs', `must be ≥ backoffBaseMs (${numbers.backoffBaseMs})`);
  }
  const uid = given.uid;
  if (typeof uid !== 'string' || uid.length === 0 || uid.length > 256) {
    throw new InvalidArgumentError('options.uid', `expected a string of 1–256 characters, got ${typeof uid}`);
  }
  const url = listenUrl(given.pusherUrl, uid, numbers.sampleRate);
  if (!isSessionBreaker(given.breaker)) {
    throw new InvalidArgumentError('options.breaker', 'expected a ClusterBreaker (allow, record*, acquireProbe, …)');
  }
  const clock = given.clock ?? systemScheduler;
  if (!isScheduler(clock))
    throw new InvalidArgumentError('options.clock', 'expected { now, setTimeout, clearTimeout }');
  let fallback: ConversationFallback;
  if (given.fallback instanceof ConversationFallback) fallback = given.fallback;
  else if (typeof given.fallback === 'function')
    // On the session's clock: its timeouts are the session's, and tests drive them by hand.
    fallback = new ConversationFallback({ handler: given.fallback as FallbackHandler, clock });
  else throw new InvalidArgumentError('options.fallback', 'expected a handler function or a ConversationFallback');
  const ramp = given.ramp ?? null;
  if (ramp !== null && typeof (ramp as ReconnectRamp).take !== 'function') {
    throw new InvalidArgumentError('options.ramp', 'expected a ReconnectRamp (take()) or null');
  }
  const logger = given.logger ?? sharedSilentLogger();
  if (typeof (logger as Logger).child !== 'function' || typeof (logger as Logger).warn !== 'function') {
    throw new InvalidArgumentError('options.logger', 'expected a pino Logger');
  }
  const registry = given.registry ?? sharedRegistry();
  if (typeof (registry as Registry).getSingleMetric !== 'function') {
    throw new InvalidArgumentError('options.registry', 'expected a prom-client Registry');
  }
  const random = given.random ?? Math.random;
  if (typeof random !== 'function') throw new InvalidArgumentError('options.random', 'expected a function');
  const dialer = given.dialer ?? wsDialer;
  if (typeof dialer !== 'function') throw new InvalidArgumentError('options.dialer', 'expected a function');
  sessionSeq++;
  const sessionId = given.sessionId ?? `${uid}#${sessionSeq}`;
  if (typeof sessionId !== 'string' || sessionId.length === 0) {
    throw new InvalidArgumentError('options.sessionId', 'expected a non-empty string');
  }
  const userAgent = given.userAgent ?? DEFAULT_USER_AGENT;
  const userAgentWrong = userAgentProblem(userAgent);
  if (userAgentWrong) throw new InvalidArgumentError('options.userAgent', userAgentWrong);
  return {
    ...numbers,
    url,
    uid,
    breaker: given.breaker,
    fallback,
    ramp: ramp as ReconnectRamp | null,
    logger: logger as Logger,
    registry: registry as Registry,
    clock,
    random: random as () => number,
    dialer: dialer as PusherDialer,
    sessionId,
    userAgent: userAgent as string,
  };
}

/** `<pusherUrl>/v1/trigger/listen?uid=…&sample_rate=…`; only ws:// and wss:// are accepted. */
export function listenUrl(pusherUrl: unknown, uid: string, sampleRate: number): string {
  let parsed: URL;
  try {
    parsed = new URL(String(pusherUrl));
  } catch {
    throw new InvalidArgumentError(
      'options.pusherUrl',
      `expected a ws:// or wss:// URL, got ${JSON.stringify(pusherUrl)}`,
    );
  }
  if ((parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') || typeof pusherUrl !== 'string') {
    throw new InvalidArgumentError(
      'options.pusherUrl',
      `expected a ws:// or wss:// URL, got ${JSON.stringify(pusherUrl)}`,
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new InvalidArgumentError('options.pusherUrl', 'expected a base URL without query or fragment');
  }
  const base = parsed.href.replace(/\/+$/, '');
  return `${base}/v1/trigger/listen?uid=${encodeURIComponent(uid)}&sample_rate=${sampleRate}`;
}
