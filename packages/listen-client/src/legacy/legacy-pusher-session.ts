/**
 * PRE-FIX BEHAVIOUR, FOR THE INCIDENT REPLAY ONLY. NOT FOR PRODUCTION.
 *
 * This reproduces how listen pods talked to pusher before Breakwater, so the
 * replay can run it side by side with {@link PusherSession} against the same
 * stand-in: three 1 s loops per session (audio, transcripts, heartbeat and
 * conversations) that each reconnect on their own, 5 tries per reconnect (the
 * first dial and 4 retries: the "5 retries" of the incident notes counts every
 * try) with a backoff of 1 s doubling, capped at 15 s — so 1, 2, 4, 8 s apart,
 * the cap never reached within 5 tries — and no jitter, every exception swallowed, no breaker, no ramp, no degraded
 * mode, unbounded buffers, conversations that wait forever for pusher, and the
 * app's session closed with 1011 when the first connect fails.
 */
import { InvalidArgumentError } from '@breakwater/breaker-core';
import { integerInRange, knownKeys, plainObject } from '@breakwater/breaker-core/internal';
import { type Logger, pino } from 'pino';
import { decodeServerFrame } from '../protocol/decode.js';
import {
  type ConversationRequest,
  encodeAudio,
  encodeHeartbeat,
  encodeProcessConversation,
  encodeTranscript,
} from '../protocol/encode.js';
import { listenUrl } from '../session/session-options.js';
import { type Scheduler, systemScheduler, type TimerHandle } from '../time/scheduler.js';
import type { PusherConnection, PusherDialer } from '../transport/pusher-connection.js';
import { DEFAULT_USER_AGENT } from '../transport/user-agent.js';
import { wsDialer } from '../transport/ws-dialer.js';

export interface LegacyPusherSessionOptions {
  pusherUrl: string;
  uid: string;
  /** @default 16_000 */
  sampleRate?: number;
  /** Called with 1011 when the first connect fails: the old code closed the app's WebSocket. */
  onClientClose?: (code: number) => void;
  /** The old client relied on the OS to give up on a dial; the replay bounds it. @default 30_000 */
  connectTimeoutMs?: number;
  logger?: Logger;
  clock?: Scheduler;
  dialer?: PusherDialer;
}

/** What the old client did, for the replay to print. */
export interface LegacyStats {
  readonly dials: number;
  readonly dialFailures: number;
  /** "retrying" warnings logged (the incident saw 409 a minute). */
  readonly retryWarnings: number;
  /** Reconnect sequences running at once right now (up to 3: one per loop). */
  readonly reconnectsInFlight: number;
  readonly clientClosedWith: number | undefined;
  readonly audioBufferedBytes: number;
  readonly transcriptBuffered: number;
  /** Conversations sent or waiting with no answer: lost if the connection died. */
  readonly conversationsUnanswered: number;
}

const LOOP_MS = 1_000;
/** Dials per reconnect sequence: the first and 4 retries. */
const TRIES = 5;
/** The old backoff: 1 s doubling, capped at 15 s (1, 2, 4, 8 s within 5 tries). */
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 15_000;
const HEARTBEAT_MS = 20_000;

/** Pre-fix behaviour, for the incident replay only. Not for production. */
export class LegacyPusherSession {
  readonly #url: string;
  readonly #log: Logger;
  readonly #clock: Scheduler;
  readonly #dialer: PusherDialer;
  readonly #connectTimeoutMs: number;
  readonly #onClientClose: (code: number) => void;
  #conn: PusherConnection | undefined;
  #timers = new Set<TimerHandle>();
  #closed = false;
  #audio: Buffer[] = [];
  #transcripts: unknown[] = [];
  #lastHeartbeat = 0;
  readonly #conversations = new Map<string, { frame: Buffer; sent: boolean; resolve: (ok: boolean) => void }>();
  #stats = {
    dials: 0,
    dialFailures: 0,
    retryWarnings: 0,
    reconnectsInFlight: 0,
    clientClosedWith: undefined as number | undefined,
  };

  constructor(options: LegacyPusherSessionOptions) {
    const o = plainObject('options', options);
    knownKeys('options', o, [
      'pusherUrl',
      'uid',
      'sampleRate',
      'onClientClose',
      'connectTimeoutMs',
      'logger',
      'clock',
      'dialer',
    ]);
    if (typeof options.uid !== 'string' || options.uid.length === 0) {
      throw new InvalidArgumentError('options.uid', 'expected a non-empty string');
    }
    const sampleRate = integerInRange('options.sampleRate', options.sampleRate ?? 16_000, 1, 192_000);
    this.#url = listenUrl(options.pusherUrl, options.uid, sampleRate);
    this.#connectTimeoutMs = integerInRange('options.connectTimeoutMs', options.connectTimeoutMs ?? 30_000, 1, 600_000);
    this.#log = options.logger ?? pino({ level: 'silent' });
    this.#clock = options.clock ?? systemScheduler;
    this.#dialer = options.dialer ?? wsDialer;
    this.#onClientClose = options.onClientClose ?? (() => {});
  }

  stats(): LegacyStats {
    return {
      ...this.#stats,
      audioBufferedBytes: this.#audio.reduce((n, b) => n + b.length, 0),
      transcriptBuffered: this.#transcripts.length,
      conversationsUnanswered: this.#conversations.size,
    };
  }

  /** Connects (5 tries); on failure closes the app's session with 1011 and resolves false. */
  async start(): Promise<boolean> {
    const ok = await this.#connect();
    if (!ok) {
      this.#stats.clientClosedWith = 1011;
      this.#onClientClose(1011);
      return false;
    }
    this.#every(() => this.#flushAudio());
    this.#every(() => this.#flushTranscripts());
    this.#every(() => this.#heartbeatAndConversations());
    return true;
  }

  sendAudio(pcm: Uint8Array, startTimeSec: number): void {
    try {
      this.#audio.push(encodeAudio(startTimeSec, pcm)); // unbounded, as before
    } catch {
      // swallowed, as before
    }
  }

  sendTranscript(segments: readonly unknown[]): void {
    if (Array.isArray(segments)) this.#transcripts.push(...segments); // unbounded, as before
  }

  /** Resolves when pusher answers; never, if the answer is lost. */
  processConversation(request: ConversationRequest): Promise<boolean> {
    return new Promise((resolve) => {
      try {
        this.#conversations.set(request.conversation_id, {
          frame: encodeProcessConversation(request),
          sent: false,
          resolve,
        });
      } catch {
        // swallowed: the caller waits forever, as before
      }
    });
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#conn?.close(1000, 'closed');
    this.#conn = undefined;
  }

  // ── the old loops ──────────────────────────────────────────────────────────

  #every(body: () => void): void {
    const tick = async () => {
      if (this.#closed) return;
      try {
        if (!this.#conn) await this.#connect(); // each loop reconnects on its own
        body();
      } catch {
        // swallowed, as before
      }
      if (!this.#closed) this.#after(LOOP_MS, tick);
    };
    this.#after(LOOP_MS, tick);
  }

  async #connect(): Promise<boolean> {
    this.#stats.reconnectsInFlight++;
    try {
      for (let i = 0; i < TRIES && !this.#closed; i++) {
        const conn = await this.#dialOnce();
        if (conn) {
          this.#conn?.close(1000, 'replaced');
          this.#conn = conn;
          return true;
        }
        this.#stats.retryWarnings++;
        this.#log.warn({ attempt: i + 1 }, 'pusher connection failed, retrying');
        const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** i);
        if (i < TRIES - 1) await new Promise<void>((r) => this.#after(backoff, r));
      }
      return false;
    } finally {
      this.#stats.reconnectsInFlight--;
    }
  }

  async #dialOnce(): Promise<PusherConnection | undefined> {
    this.#stats.dials++;
    let conn: PusherConnection | undefined;
    const attempt = this.#dialer(
      this.#url,
      {
        message: (data, isBinary) => this.#message(data, isBinary),
        pong: () => {},
        close: () => {
          if (this.#conn === conn) this.#conn = undefined;
        },
      },
      { userAgent: DEFAULT_USER_AGENT },
    );
    const timer = this.#after(this.#connectTimeoutMs, () => attempt.abort());
    try {
      conn = await attempt.ready;
      return conn;
    } catch {
      this.#stats.dialFailures++;
      return undefined;
    } finally {
      this.#clock.clearTimeout(timer);
      this.#timers.delete(timer);
    }
  }

  #after(ms: number, fn: () => void): TimerHandle {
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  #flushAudio(): void {
    while (this.#conn && this.#audio.length > 0) {
      if (!this.#conn.send(this.#audio[0] as Buffer)) return;
      this.#audio.shift();
    }
  }

  #flushTranscripts(): void {
    if (!this.#conn || this.#transcripts.length === 0) return;
    if (this.#conn.send(encodeTranscript(this.#transcripts))) this.#transcripts = [];
  }

  #heartbeatAndConversations(): void {
    const conn = this.#conn;
    if (!conn) return;
    if (this.#clock.now() - this.#lastHeartbeat >= HEARTBEAT_MS && conn.send(encodeHeartbeat())) {
      this.#lastHeartbeat = this.#clock.now();
    }
    for (const c of this.#conversations.values()) if (!c.sent && conn.send(c.frame)) c.sent = true;
  }

  #message(data: Buffer, isBinary: boolean): void {
    const decoded = decodeServerFrame(data, isBinary);
    if (!decoded.ok) return;
    const c = this.#conversations.get(decoded.result.conversationId);
    if (!c) return;
    this.#conversations.delete(decoded.result.conversationId);
    c.resolve(decoded.result.success);
  }
}
