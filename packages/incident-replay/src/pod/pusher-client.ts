import type { ClusterBreaker, ReconnectRamp } from '@breakwater/breaker-core';
import {
  type ConversationFallback,
  type ConversationRequest,
  PusherSession,
  type Scheduler,
} from '@breakwater/listen-client';
import { LegacyPusherSession } from '@breakwater/listen-client/legacy';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ChartState } from './messages.js';
import { type DialCounter, observedDialer } from './observed-dialer.js';

/** How a conversation ended, as the replay counts it. */
export type ConversationRoute = 'pusher' | 'fallback' | 'failed';

/** The calls an app session makes, for either client. */
export interface PusherClient {
  /** Resolves once the client has tried its first connect; false if it closed the app's session. */
  start(): Promise<boolean>;
  sendAudio(pcm: Uint8Array, startTimeSec: number): void;
  sendTranscript(segments: readonly unknown[]): void;
  setConversation(id: string): void;
  /** Legacy: may never resolve (the old client waited forever). */
  processConversation(request: ConversationRequest): Promise<ConversationRoute>;
  chartState(): ChartState;
  close(): Promise<void>;
}

export interface ClientContext {
  readonly pusherUrl: string;
  readonly clock: Scheduler;
  readonly counter: DialCounter;
  /** Deadlines in scenario ms (see scaledSettings). */
  readonly session: {
    readonly connectTimeoutMs: number;
    readonly pongTimeoutMs: number;
    readonly rampTimeoutMs: number;
  };
  readonly legacy: { readonly connectTimeoutMs: number };
  readonly breakwater?: {
    readonly breaker: ClusterBreaker;
    readonly ramp: ReconnectRamp;
    readonly fallback: ConversationFallback;
    readonly registry: Registry;
    readonly logger: Logger;
  };
}

/** Breakwater's session: one reconnect loop, gated by the cluster breaker and the ramp. */
export function breakwaterClient(uid: string, ctx: ClientContext): PusherClient {
  const bw = ctx.breakwater;
  if (!bw) throw new Error('the breakwater phase needs a breaker, a ramp and a fallback');
  const session = new PusherSession({
    pusherUrl: ctx.pusherUrl,
    uid,
    breaker: bw.breaker,
    ramp: bw.ramp,
    fallback: bw.fallback,
    registry: bw.registry,
    logger: bw.logger,
    clock: ctx.clock,
    ...ctx.session,
    dialer: observedDialer(ctx.counter),
  });
  // Only a new user's first connect, still in progress (dialing, or waiting for the slot the
  // ramp booked it), counts as "starting": a session that has been connected, degraded or
  // backing off after a failure and dials again is reconnecting, and the recovery watch waits
  // for it.
  let firstConnectEnded = false;
  session.onStateChange((change) => {
    if (firstConnectEnded || change.to === 'idle' || change.to === 'connecting') return;
    if (change.to === 'reconnect_backoff' && change.cause === 'ramp_wait') return;
    firstConnectEnded = true;
  });
  return {
    start: async () => {
      await session.start();
      return true; // never closes the app's session
    },
    sendAudio: (pcm, t) => void session.sendAudio(pcm, t),
    sendTranscript: (segments) => void session.sendTranscript(segments),
    setConversation: (id) => session.setConversation(id),
    processConversation: async (request) => {
      const outcome = await session.processConversation(request);
      if (outcome.via === 'pusher') return 'pusher';
      return outcome.processed ? 'fallback' : 'failed';
    },
    chartState: () => {
      switch (session.state) {
        case 'connected':
          return 'connected';
        case 'degraded':
          return 'degraded';
        case 'half_open_probe':
          return 'probing';
        case 'idle':
          return 'starting';
        case 'connecting':
        case 'reconnect_backoff':
          return firstConnectEnded ? 'reconnecting' : 'starting';
        default:
          return 'reconnecting';
      }
    },
    close: () => session.close(),
  };
}

/** The pre-fix client, for the baseline phase only. */
export function legacyClient(uid: string, ctx: ClientContext): PusherClient {
  // Its three loops may each hold a connection for a moment: count them.
  let open = 0;
  let started = false;
  const session = new LegacyPusherSession({
    pusherUrl: ctx.pusherUrl,
    uid,
    clock: ctx.clock,
    ...ctx.legacy,
    dialer: observedDialer(ctx.counter, {
      open: () => {
        open++;
      },
      close: () => {
        open = Math.max(0, open - 1);
      },
    }),
  });
  return {
    start: async () => {
      const ok = await session.start();
      started = true;
      return ok;
    },
    sendAudio: (pcm, t) => session.sendAudio(pcm, t),
    sendTranscript: (segments) => session.sendTranscript(segments),
    setConversation: () => {}, // the old client sent no 103
    processConversation: async (request) => ((await session.processConversation(request)) ? 'pusher' : 'failed'),
    chartState: () => {
      if (session.stats().clientClosedWith !== undefined) return 'closed_by_client';
      if (!started) return 'starting';
      return open > 0 ? 'connected' : 'reconnecting';
    },
    close: async () => session.close(),
  };
}
