import type { ScaledScheduler } from '../scenario/scaled-scheduler.js';
import { LOAD_PROFILE } from '../scenario/scenario.js';
import type { ChartState } from './messages.js';
import type { ConversationRoute, PusherClient } from './pusher-client.js';

/** Counters shared by a pod's slots. */
export interface PodTally {
  conversationsRequested: number;
  viaPusher: number;
  viaFallback: number;
  failed: number;
  transcriptsToApp: number;
  transcriptsToAppExpected: number;
  appSessionsClosed: number;
}

/** A transcript more than this late (scenario ms) has not reached the user in time. */
export const TRANSCRIPT_LATE_MS = 5_000;

/**
 * One user's place on a pod: an app session streams audio and transcripts and,
 * every few minutes, finishes a conversation and asks for it to be processed;
 * when the user leaves, the next one arrives. The app's own flow (transcripts to
 * the user) runs whatever happens to pusher — unless the client closes the
 * app's session, which the old client did when its first connect failed.
 *
 * Ticks follow an absolute schedule, so `transcriptsToAppExpected` counts what a
 * healthy pipeline delivers and `transcriptsToApp` only what arrived on time.
 */
export class AppSlot {
  readonly #slot: string;
  readonly #clock: ScaledScheduler;
  readonly #tally: PodTally;
  readonly #makeClient: (uid: string) => PusherClient;
  readonly #pcm = new Uint8Array(LOAD_PROFILE.audioChunkBytes);
  #client: PusherClient | undefined;
  #generation = 0;
  #sessionStart = 0;
  #appAlive = false;
  #conversation = '';
  #conversations = 0;
  #transcriptTicks = 0;
  #timers: ReturnType<ScaledScheduler['setTimeout']>[] = [];
  #stopped = false;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(slot: string, clock: ScaledScheduler, tally: PodTally, makeClient: (uid: string) => PusherClient) {
    this.#slot = slot;
    this.#clock = clock;
    this.#tally = tally;
    this.#makeClient = makeClient;
  }

  /** Starts the first app session (its first connect may fail: that is the point). */
  async start(): Promise<void> {
    await this.#begin();
  }

  chartState(): ChartState | undefined {
    return this.#stopped ? undefined : this.#client?.chartState();
  }

  /** Conversations asked for and not ended yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Stops generating load: accounts transcripts due so far, then processes the open conversation. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers = [];
    this.#accountTranscripts(this.#clock.now());
    this.#finishConversation();
  }

  /** Waits (bounded by the caller) for this slot's conversations, then closes the client. */
  async close(): Promise<void> {
    this.stop();
    await this.#client?.close().catch(() => {});
  }

  settled(): Promise<unknown> {
    return Promise.allSettled([...this.#pending]);
  }

  async #begin(): Promise<void> {
    const previous = this.#client;
    this.#generation += 1;
    const uid = `${this.#slot}-u${this.#generation}`;
    this.#client = this.#makeClient(uid);
    this.#sessionStart = this.#clock.now();
    this.#transcriptTicks = 0;
    this.#appAlive = true;
    this.#newConversation();
    this.#every(LOAD_PROFILE.audioEveryMs, () => {
      if (this.#appAlive) this.#client?.sendAudio(this.#pcm, this.#clock.now() / 1_000);
    });
    this.#scheduleTranscript(1);
    this.#every(LOAD_PROFILE.conversationEveryMs, () => {
      this.#finishConversation();
      this.#newConversation();
    });
    const lifetime = LOAD_PROFILE.sessionLifetimeMs * (0.8 + 0.4 * Math.random());
    this.#timers.push(this.#clock.setTimeout(() => void this.#end(), lifetime));
    if (previous) void previous.close().catch(() => {});
    const ok = await this.#client.start();
    if (!ok && this.#appAlive && !this.#stopped) {
      // The old client closed the app's WebSocket (1011): this user's session is gone. Their app
      // reconnects a little later, as a new session, whose first connect will be tried again.
      this.#appAlive = false;
      this.#tally.appSessionsClosed++;
      const generation = this.#generation;
      this.#timers.push(
        this.#clock.setTimeout(() => {
          if (generation === this.#generation) void this.#end();
        }, LOAD_PROFILE.appReconnectMs),
      );
    }
  }

  async #end(): Promise<void> {
    if (this.#stopped) return;
    this.#accountTranscripts(this.#clock.now());
    this.#finishConversation();
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers = [];
    await this.#begin();
  }

  #every(ms: number, body: () => void): void {
    const tick = () => {
      if (this.#stopped) return;
      try {
        body();
      } finally {
        this.#timers.push(this.#clock.setTimeout(tick, ms));
      }
    };
    this.#timers.push(this.#clock.setTimeout(tick, ms * Math.random()));
  }

  /** Transcript k is due at sessionStart + k × interval; it counts only if it reaches a live app in time. */
  #scheduleTranscript(k: number): void {
    const due = this.#sessionStart + k * LOAD_PROFILE.transcriptEveryMs;
    const generation = this.#generation;
    this.#timers.push(
      this.#clock.setTimeout(
        () => {
          if (this.#stopped || generation !== this.#generation) return;
          const late = this.#clock.now() - due;
          this.#transcriptTicks = k;
          this.#tally.transcriptsToAppExpected++;
          // The app's own flow goes through the client call first: a call that threw (or a session
          // the client closed) means the user did not get it.
          if (this.#appAlive) this.#client?.sendTranscript([{ text: `segment ${k}`, start: k, end: k + 1 }]);
          if (this.#appAlive && late <= TRANSCRIPT_LATE_MS) this.#tally.transcriptsToApp++;
          this.#scheduleTranscript(k + 1);
        },
        Math.max(0, due - this.#clock.now()),
      ),
    );
  }

  /** Transcripts due by `now` whose tick never ran (the event loop was too busy): expected, not delivered. */
  #accountTranscripts(now: number): void {
    const due = Math.floor((now - TRANSCRIPT_LATE_MS - this.#sessionStart) / LOAD_PROFILE.transcriptEveryMs);
    if (due > this.#transcriptTicks) {
      this.#tally.transcriptsToAppExpected += due - this.#transcriptTicks;
      this.#transcriptTicks = due;
    }
  }

  #newConversation(): void {
    this.#conversations += 1;
    this.#conversation = `${this.#slot}-u${this.#generation}-c${this.#conversations}`;
    if (this.#appAlive) this.#client?.setConversation(this.#conversation);
  }

  #finishConversation(): void {
    const client = this.#client;
    if (!client || !this.#appAlive || this.#conversation === '') return;
    this.#tally.conversationsRequested++;
    const request = { conversation_id: this.#conversation, language: 'en' };
    this.#conversation = '';
    const done: Promise<ConversationRoute> = client.processConversation(request).catch(() => 'failed' as const);
    const tracked = done.then((route) => {
      if (route === 'pusher') this.#tally.viaPusher++;
      else if (route === 'fallback') this.#tally.viaFallback++;
      else this.#tally.failed++;
      this.#pending.delete(tracked);
    });
    this.#pending.add(tracked);
  }
}
