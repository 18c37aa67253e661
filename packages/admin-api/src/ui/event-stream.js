// The live stream: fetch() with the Authorization header (EventSource cannot send one, and
// the token never goes into a URL), parsed by SseParser, reconnected with Last-Event-ID
// and a capped, jittered exponential backoff when it drops or goes quiet.

import { SseParser } from './sse.js';

/**
 * @typedef {import('./sse.js').SseEvent} SseEvent
 * @typedef {{ state: 'connecting', attempt: number }
 *   | { state: 'open' }
 *   | { state: 'waiting', retryInMs: number, attempt: number, reason: string }
 *   | { state: 'stopped' }} StreamStatus
 * @typedef {object} StreamRefusal
 * @property {number} status
 * @property {string} code
 * @property {string} message
 */

/** Defaults, ms. */
export const STREAM_DEFAULTS = Object.freeze({
  /** First reconnection delay (the server's `retry:` replaces it). @default 1_000 */
  minDelayMs: 1_000,
  /** Longest reconnection delay. @default 30_000 */
  maxDelayMs: 30_000,
  /** A stream that sends nothing (not even a heartbeat) for this long is dropped and reopened. @default 45_000 */
  idleTimeoutMs: 45_000,
});

export class EventStream {
  #url;
  #headers;
  #onEvent;
  #onStatus;
  #onRefused;
  #minDelayMs;
  #maxDelayMs;
  #idleTimeoutMs;
  #parser = new SseParser();
  #stopped = false;
  #running = false;
  /** @type {AbortController | undefined} */
  #controller;
  /** @type {(() => void) | undefined} */
  #wake;

  /**
   * @param {object} options
   * @param {URL} options.url
   * @param {() => Record<string, string>} options.headers  sent on every (re)connection: the Authorization header
   * @param {(event: SseEvent) => void} options.onEvent
   * @param {(status: StreamStatus) => void} options.onStatus
   * @param {(refusal: StreamRefusal) => void} options.onRefused  401 or 403: the stream stops
   * @param {string} [options.lastEventId]  resume after this event
   * @param {number} [options.minDelayMs]
   * @param {number} [options.maxDelayMs]
   * @param {number} [options.idleTimeoutMs]
   */
  constructor(options) {
    this.#url = options.url;
    this.#headers = options.headers;
    this.#onEvent = options.onEvent;
    this.#onStatus = options.onStatus;
    this.#onRefused = options.onRefused;
    this.#minDelayMs = options.minDelayMs ?? STREAM_DEFAULTS.minDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? STREAM_DEFAULTS.maxDelayMs;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? STREAM_DEFAULTS.idleTimeoutMs;
    if (options.lastEventId) this.#parser.push(`id: ${options.lastEventId}\n\n`);
  }

  /** The id to resume after. */
  get lastEventId() {
    return this.#parser.lastEventId;
  }

  /**
   * How long the stream may stay silent before it is dropped and reopened: the server says
   * how often it sends a heartbeat, and three missed in a row mean the connection is dead
   * (a proxy or NAT dropped it without a word).
   * @param {number} ms
   */
  setIdleTimeout(ms) {
    this.#idleTimeoutMs = ms;
  }

  start() {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    void this.#run();
  }

  /** Closes the connection for good. */
  stop() {
    this.#stopped = true;
    this.#controller?.abort();
    this.#wake?.();
    this.#onStatus({ state: 'stopped' });
  }

  /** Skips the wait before the next attempt (the browser came back online, or a person asked). */
  reconnectNow() {
    this.#wake?.();
  }

  async #run() {
    let attempt = 0;
    while (!this.#stopped) {
      this.#onStatus({ state: 'connecting', attempt });
      const controller = new AbortController();
      this.#controller = controller;
      let reason = 'the server ended the stream';
      /** The server's Retry-After on a refusal for load (429, 503), ms. */
      let retryAfterMs = 0;
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let idle;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => controller.abort(new Error(`nothing received for ${Math.round(this.#idleTimeoutMs / 1000)} s`)),
          this.#idleTimeoutMs,
        );
      };
      try {
        /** @type {Record<string, string>} */
        const headers = { accept: 'text/event-stream', ...this.#headers() };
        if (this.#parser.lastEventId !== '') headers['last-event-id'] = this.#parser.lastEventId;
        armIdle();
        const response = await fetch(this.#url, {
          headers,
          signal: controller.signal,
          cache: 'no-store',
        });
        if (response.status === 401 || response.status === 403) {
          const body = await response.json().catch(() => ({}));
          this.#stopped = true;
          this.#onRefused({
            status: response.status,
            code: typeof body.code === 'string' ? body.code : 'AUTH_INVALID',
            message: typeof body.message === 'string' ? body.message : `HTTP ${response.status}`,
          });
          this.#onStatus({ state: 'stopped' });
          return;
        }
        if (!response.ok || response.body === null) {
          retryAfterMs = 1_000 * (Number(response.headers.get('retry-after')) || 0);
          const body = await response.json().catch(() => ({}));
          throw new Error(typeof body.message === 'string' ? body.message : `the server answered ${response.status}`);
        }
        const type = response.headers.get('content-type') ?? '';
        if (!type.startsWith('text/event-stream')) throw new Error(`the server answered ${type}, not an event stream`);
        this.#onStatus({ state: 'open' });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          armIdle();
          // Data arrived: the connection works, so the next drop starts the backoff afresh.
          attempt = 0;
          for (const event of this.#parser.push(value)) this.#onEvent(event);
        }
      } catch (err) {
        if (this.#stopped) return;
        const cause = controller.signal.aborted ? controller.signal.reason : err;
        reason = cause instanceof Error ? cause.message : String(cause);
      } finally {
        clearTimeout(idle);
        this.#parser.reset();
      }
      if (this.#stopped) return;
      const retryInMs = Math.max(this.#delay(attempt), retryAfterMs);
      attempt += 1;
      this.#onStatus({ state: 'waiting', retryInMs, attempt, reason });
      await this.#sleep(retryInMs);
    }
  }

  /**
   * A doubling delay, capped, of which a random half to all is waited: many open pages
   * reconnecting to a restarted server spread out instead of arriving together.
   * @param {number} attempt
   */
  #delay(attempt) {
    const base = this.#parser.retryMs ?? this.#minDelayMs;
    const ceiling = Math.min(this.#maxDelayMs, base * 2 ** Math.min(attempt, 16));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /** @param {number} ms */
  #sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve(undefined);
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
