import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import type { ConversationRequest } from '../protocol/encode.js';
import { PusherSession } from '../session/pusher-session.js';
import type { PusherSessionOptions } from '../session/session-options.js';
import type { SessionState } from '../session/session-status.js';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { FakeBreaker } from './fake-breaker.js';
import { FakeDialer } from './fake-dialer.js';

export interface Harness {
  readonly clock: ManualScheduler;
  readonly dialer: FakeDialer;
  readonly breaker: FakeBreaker;
  readonly registry: Registry;
  readonly session: PusherSession;
  /** States entered, in order. */
  readonly states: SessionState[];
  /** Causes of those transitions, in order. */
  readonly causes: string[];
  /** Conversations the fallback handler was given. */
  readonly fallbackCalls: ConversationRequest[];
  /** Time since the harness started, ms, of each dial. */
  dialTimes(): number[];
  /** Advances time and lets every chain settle. */
  advance(ms: number): Promise<void>;
  /** Time since the harness started, ms. */
  elapsed(): number;
}

/** A session on a manual clock, a fake dialer and a fake breaker; jitter off (random = 0) unless given. */
export function harness(
  overrides: Partial<Omit<PusherSessionOptions, 'breaker' | 'dialer' | 'clock'>> & {
    breaker?: FakeBreaker;
    dialer?: FakeDialer;
    clock?: ManualScheduler;
  } = {},
): Harness {
  const clock = overrides.clock ?? new ManualScheduler();
  const start = clock.now();
  const fakeDialer = overrides.dialer ?? new FakeDialer();
  const breaker = overrides.breaker ?? new FakeBreaker();
  const registry = (overrides.registry as Registry | undefined) ?? new Registry();
  const fallbackCalls: ConversationRequest[] = [];
  const dialAt: number[] = [];
  const { dialer: _d, breaker: _b, clock: _c, ...rest } = overrides;
  const session = new PusherSession({
    pusherUrl: 'ws://pusher.test',
    uid: 'user-1',
    fallback: async (req) => {
      fallbackCalls.push(req);
      return 'fallback-done';
    },
    random: () => 0,
    ...rest,
    registry,
    breaker,
    clock,
    dialer: (url, events, options) => {
      dialAt.push(clock.now() - start);
      return fakeDialer.dialer(url, events, options);
    },
  });
  const states: SessionState[] = [];
  const causes: string[] = [];
  session.onStateChange((c) => {
    states.push(c.to);
    causes.push(c.cause);
  });
  return {
    clock,
    dialer: fakeDialer,
    breaker,
    registry,
    session,
    states,
    causes,
    fallbackCalls,
    dialTimes: () => [...dialAt],
    advance: (ms) => clock.advance(ms),
    elapsed: () => clock.now() - start,
  };
}

/** A harness whose session started against a pusher that accepts: connected. */
export async function connectedHarness(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = harness(options);
  h.dialer.mode = 'accept';
  await h.session.start();
  return h;
}

/** A pino logger that keeps every line it writes. */
export function capturingLogger(level: pino.Level = 'warn'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}
