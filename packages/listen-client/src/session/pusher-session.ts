import { InvalidArgumentError } from '@breakwater/breaker-core';
import type { Logger } from 'pino';
import type { ConversationOutcome } from '../conversation/conversation-outcome.js';
import { ConversationTracker } from '../conversation/conversation-tracker.js';
import { PusherMetrics } from '../metrics/pusher-metrics.js';
import { decodeServerFrame } from '../protocol/decode.js';
import {
  type ConversationRequest,
  encodeAudio,
  encodeConversationId,
  encodeSpeakerSample,
  encodeTranscript,
  MAX_ID_LENGTH,
  type SpeakerSample,
} from '../protocol/encode.js';
import type { TimerHandle } from '../time/scheduler.js';
import { warnIfNoRamp } from './ask-ramp.js';
import { ReconnectLoop } from './reconnect-loop.js';
import { type PusherSessionOptions, type ResolvedSessionOptions, resolveSessionOptions } from './session-options.js';
import type { SessionState, SessionStateChange, SessionStatus } from './session-status.js';
import { SessionWarnings } from './session-warnings.js';
import { TranscriptBuffer } from './transcript-buffer.js';

/** Segments per replayed 102 frame. */
export const REPLAY_BATCH = 100;

/** A segment's size as JSON; InvalidArgumentError (via the encoder's rules) if JSON cannot encode it. */
function segmentBytes(segment: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(segment) ?? 'null');
  } catch (err) {
    const error = new InvalidArgumentError('segments', `expected JSON-serialisable segments (${String(err)})`);
    error.cause = err;
    throw error;
  }
}

/** Counters of one session (the metrics add up every session on a registry). */
export interface PusherSessionStats {
  readonly state: SessionState;
  readonly audioDroppedChunks: number;
  readonly audioDroppedBytes: number;
  readonly transcriptBuffered: number;
  readonly transcriptDropped: number;
  readonly speakerSamplesDropped: number;
  readonly pendingConversations: number;
  readonly malformedFrames: number;
  /** 201s for conversations that had already ended (timed out, failed over): ignored. */
  readonly lateAnswers: number;
}

/**
 * One live session's connection to pusher. Every call an app makes is
 * non-blocking and never throws for a pusher problem: audio is dropped (and
 * counted) while not connected, transcripts wait in a bounded buffer and are
 * replayed on reconnect, conversations end in exactly one outcome (pusher or
 * the fallback). One loop per session reconnects ({@link ReconnectLoop}),
 * gated by the cluster breaker and the reconnect ramp.
 */
export class PusherSession {
  readonly #options: ResolvedSessionOptions;
  readonly #metrics: PusherMetrics;
  readonly #log: Logger;
  readonly #warnings: SessionWarnings;
  readonly #loop: ReconnectLoop;
  readonly #tracker: ConversationTracker;
  readonly #transcripts: TranscriptBuffer;
  readonly #listeners = new Set<(change: SessionStateChange) => void>();
  #conversationId: string | undefined;
  #conversationSent = false;
  #closing: Promise<void> | undefined;
  #lostWhileClosing: (() => void) | undefined;
  #stats = {
    audioDroppedChunks: 0,
    audioDroppedBytes: 0,
    transcriptDropped: 0,
    speakerSamplesDropped: 0,
    malformedFrames: 0,
  };

  /** Validates every option (InvalidArgumentError naming it); does no I/O until {@link start}. */
  constructor(options: PusherSessionOptions) {
    const resolved = resolveSessionOptions(options);
    this.#options = resolved;
    this.#metrics = PusherMetrics.for(resolved.registry);
    this.#log = resolved.logger.child({ session: resolved.sessionId, breaker: resolved.breaker.name });
    warnIfNoRamp(resolved);
    this.#warnings = new SessionWarnings(resolved.logger, resolved.clock, resolved.sessionId);
    this.#transcripts = new TranscriptBuffer(resolved.transcriptBufferSize, resolved.transcriptBufferBytes);
    this.#tracker = new ConversationTracker({
      clock: resolved.clock,
      fallback: resolved.fallback,
      metrics: this.#metrics,
      timeoutMs: resolved.conversationTimeoutMs,
      rememberCompleted: resolved.rememberConversations,
      rememberCompletedMs: resolved.rememberConversationsMs,
    });
    this.#loop = new ReconnectLoop(resolved, this.#metrics, this.#log, this.#warnings, {
      opened: () => this.#opened(),
      message: (data, isBinary) => this.#message(data, isBinary),
      lost: () => {
        this.#tracker.requeueSent();
        this.#lostWhileClosing?.();
      },
      statusChanged: (change) => this.#statusChanged(change),
    });
  }

  get state(): SessionState {
    return this.#loop.status.value;
  }

  get status(): SessionStatus {
    return this.#loop.status;
  }

  /** Counters of this session. */
  stats(): PusherSessionStats {
    return {
      state: this.state,
      ...this.#stats,
      transcriptBuffered: this.#transcripts.size,
      pendingConversations: this.#tracker.size,
      lateAnswers: this.#tracker.lateAnswers,
    };
  }

  /**
   * Connects. Never rejects because of pusher: resolves within `rampTimeoutMs +
   * connectTimeoutMs` (the ramp's answer, then a dial with the whole connect timeout),
   * `connected`, `reconnect_backoff` (the ramp booked a later slot) or (pusher
   * unreachable, breaker not allowing) `degraded`.
   */
  async start(): Promise<void> {
    try {
      await this.#loop.start();
    } catch (err) {
      this.#log.error({ err }, 'pusher session start failed');
    }
  }

  /** Sends one audio chunk (PCM16 LE mono) if connected; otherwise drops and counts it. Returns whether it was sent. */
  sendAudio(pcm: Uint8Array, startTimeSec: number): boolean {
    const bytes = pcm instanceof Uint8Array ? pcm.byteLength : 0;
    try {
      const conn = this.#loop.connection;
      if (!conn || this.#closing || conn.bufferedAmount > this.#options.maxSocketBufferedBytes) {
        this.#dropAudio(bytes);
        return false;
      }
      if (this.#send(encodeAudio(startTimeSec, pcm))) return true;
    } catch (err) {
      this.#warnings.warn('audio_invalid', { err: String(err) }, 'invalid audio chunk dropped');
    }
    this.#dropAudio(bytes);
    return false;
  }

  /**
   * Sends transcript segments (102) if connected; otherwise keeps them in the
   * bounded buffer, replayed on reconnect. Returns whether they were sent now.
   */
  sendTranscript(segments: readonly unknown[], memoryId?: string): boolean {
    try {
      if (!Array.isArray(segments)) throw new InvalidArgumentError('segments', 'expected an array');
      // Everything the encoder would refuse is refused here, before the buffer: a
      // transcript that cannot be encoded now never can, and buffered it would
      // only fail the replay after the next reconnect.
      if (
        memoryId !== undefined &&
        (typeof memoryId !== 'string' || memoryId.length === 0 || memoryId.length > MAX_ID_LENGTH)
      ) {
        throw new InvalidArgumentError('memoryId', `expected a string of 1–${MAX_ID_LENGTH} characters or undefined`);
      }
      if (segments.length === 0) return true;
      if (this.#loop.connection && !this.#closing) {
        const frame = encodeTranscript(segments, memoryId);
        this.#replayTranscripts();
        if (this.#transcripts.size === 0 && this.#send(frame)) return true;
      }
      const sized = segments.map((segment: unknown) => ({ segment, bytes: segmentBytes(segment) }));
      for (const { segment, bytes } of sized) this.#bufferSegment(segment, memoryId, bytes);
    } catch (err) {
      this.#warnings.warn('transcript_invalid', { err: String(err) }, 'invalid transcript dropped');
      this.#dropTranscript(Array.isArray(segments) ? Math.max(1, segments.length) : 1, 0);
    }
    return false;
  }

  /** The conversation the session's audio belongs to; sent (103) when it changes and after every reconnect. */
  setConversation(conversationId: string): void {
    if (typeof conversationId !== 'string' || conversationId.length === 0 || conversationId.length > MAX_ID_LENGTH) {
      this.#warnings.warn('conversation_id_invalid', {}, 'invalid conversation id ignored');
      return;
    }
    if (conversationId === this.#conversationId) return;
    this.#conversationId = conversationId;
    this.#conversationSent = false;
    if (this.#loop.connection) this.#sendConversationId();
  }

  /** Sends a speaker sample (105) if connected; otherwise drops and counts it. */
  sendSpeakerSample(sample: SpeakerSample): boolean {
    try {
      const frame = encodeSpeakerSample(sample);
      if (this.#loop.connection && !this.#closing && this.#send(frame)) return true;
      this.#metrics.queueDroppedBytes.inc({ queue: 'speaker_sample' }, frame.length);
    } catch (err) {
      this.#warnings.warn('speaker_sample_invalid', { err: String(err) }, 'invalid speaker sample');
    }
    this.#metrics.queueDrops.inc({ queue: 'speaker_sample' });
    this.#stats.speakerSamplesDropped++;
    return false;
  }

  /**
   * Processes a conversation: exactly one outcome per conversation id, via pusher
   * (its 201 success) or via the fallback (degraded, breaker open, pusher error,
   * no answer in time, session closed). Repeats of an id share its outcome.
   * Rejects (InvalidArgumentError) only for a request it could never send: no
   * valid `conversation_id`, or data JSON cannot encode (a bug, not a pusher problem).
   */
  processConversation(request: ConversationRequest): Promise<ConversationOutcome> {
    try {
      const id = (request as { conversation_id?: unknown } | null)?.conversation_id;
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
        throw new InvalidArgumentError('request.conversation_id', `expected a string of 1–${MAX_ID_LENGTH} characters`);
      }
      const known = this.#tracker.lookup(id);
      if (known) return known;
      const state = this.state;
      if (this.#closing || state === 'closed') return this.#tracker.addFallback(request, 'closed');
      if (this.#tracker.size >= this.#options.maxPendingConversations)
        return this.#tracker.addFallback(request, 'overloaded');
      if (state === 'degraded' || state === 'half_open_probe') return this.#tracker.addFallback(request, 'degraded');
      if (!this.#options.breaker.allow()) return this.#tracker.addFallback(request, 'breaker_open');
      const outcome = this.#tracker.add(request);
      if (this.#loop.connection) this.#tracker.sendQueued((frame) => this.#send(frame));
      return outcome;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Typed, disposable subscription to state changes. */
  onStateChange(fn: (change: SessionStateChange) => void): { dispose(): void } {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'expected a function');
    const entry = (c: SessionStateChange) => fn(c);
    this.#listeners.add(entry);
    return { dispose: () => this.#listeners.delete(entry) };
  }

  /**
   * Flushes what may be flushed (buffered transcripts, if connected; the rest are
   * dropped and counted), waits up to `closeTimeoutMs` for answers to conversations
   * already sent, hands the rest to the fallback (`closed`), and closes the socket
   * with 1000. Never rejects.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close().catch((err: unknown) => this.#log.error({ err }, 'pusher session close failed'));
    return this.#closing;
  }

  // ── internals ──────────────────────────────────────────────────────────────

  async #close(): Promise<void> {
    this.#loop.beginClose();
    if (this.#loop.connection) {
      this.#replayTranscripts();
      await this.#waitForAnswers();
    }
    this.#tracker.failover('closed');
    // What could not be flushed is dropped, and counted like every other drop.
    const left = this.#transcripts.clear();
    if (left.count > 0) this.#dropTranscript(left.count, left.bytes);
    this.#loop.finishClose();
    this.#listeners.clear();
  }

  #waitForAnswers(): Promise<void> {
    if (this.#tracker.inFlight === 0 || this.#options.closeTimeoutMs === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const clock = this.#options.clock;
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer !== undefined) clock.clearTimeout(timer);
        this.#lostWhileClosing = undefined;
        resolve();
      };
      timer = clock.setTimeout(done, this.#options.closeTimeoutMs);
      this.#lostWhileClosing = done;
      this.#tracker.onIdle(done);
    });
  }

  #send(frame: Buffer): boolean {
    const conn = this.#loop.connection;
    if (!conn) return false;
    let sent = false;
    try {
      sent = conn.send(frame);
    } catch {
      sent = false;
    }
    // The loop decides what a refused send means: nothing while the socket is closing
    // (the close event on its way does), else a lost connection.
    if (!sent) this.#loop.markLost('send_failed');
    return sent;
  }

  #opened(): void {
    this.#conversationSent = false;
    this.#sendConversationId();
    this.#replayTranscripts();
    this.#tracker.sendQueued((frame) => this.#send(frame));
  }

  #sendConversationId(): void {
    if (this.#conversationId === undefined || this.#conversationSent) return;
    if (this.#send(encodeConversationId(this.#conversationId))) this.#conversationSent = true;
  }

  /**
   * Sends the buffer, oldest first. Each batch is encoded before it leaves the
   * buffer: one that cannot be sent stays (in order) for the next connection, one
   * that cannot be encoded is dropped and counted, and neither throws.
   */
  #replayTranscripts(): void {
    for (;;) {
      const batch = this.#transcripts.peekBatch(REPLAY_BATCH);
      if (!batch) return;
      let frame: Buffer;
      try {
        frame = encodeTranscript(batch.segments, batch.memoryId);
      } catch (err) {
        this.#warnings.warn('transcript_unencodable', { err: String(err) }, 'buffered transcript dropped');
        this.#transcripts.shift(batch.count);
        this.#dropTranscript(batch.count, batch.bytes);
        continue;
      }
      if (!this.#send(frame)) return;
      this.#transcripts.shift(batch.count);
    }
  }

  #bufferSegment(segment: unknown, memoryId: string | undefined, bytes: number): void {
    const dropped = this.#transcripts.push({ segment, memoryId, bytes });
    if (dropped) this.#dropTranscript(dropped.count, dropped.bytes);
  }

  #dropTranscript(segments: number, bytes: number): void {
    this.#metrics.queueDrops.inc({ queue: 'transcript' }, segments);
    if (bytes > 0) this.#metrics.queueDroppedBytes.inc({ queue: 'transcript' }, bytes);
    this.#stats.transcriptDropped += segments;
  }

  #dropAudio(bytes: number): void {
    this.#metrics.dropAudio(bytes);
    this.#stats.audioDroppedChunks++;
    this.#stats.audioDroppedBytes += bytes;
  }

  #message(data: Buffer, isBinary: boolean): void {
    const decoded = decodeServerFrame(data, isBinary);
    if (!decoded.ok) {
      this.#stats.malformedFrames++;
      this.#metrics.malformedFrames.inc({ reason: decoded.reason });
      this.#warnings.warn(
        `malformed_${decoded.reason}`,
        { reason: decoded.reason, detail: decoded.detail },
        'malformed frame from pusher ignored',
      );
      return;
    }
    if (!this.#tracker.answer(decoded.result)) {
      this.#log.debug({ conversationId: decoded.result.conversationId }, 'late or unknown 201 ignored');
    }
  }

  #statusChanged(change: SessionStateChange): void {
    if (change.to === 'degraded') this.#tracker.failover('degraded');
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (err) {
        // Folded like every other repeat: a listener that throws does so on every change, in every session.
        this.#warnings.warn('listener_threw', { err }, 'onStateChange listener threw');
      }
    }
  }
}
