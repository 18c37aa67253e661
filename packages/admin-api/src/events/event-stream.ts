import { Readable } from 'node:stream';
import type { BreakerSnapshot } from '@breakwater/breaker-core';
import type { AdminMetrics, StreamEndReason } from '../metrics.js';
import type { FeedListener, LiveTransition } from './breaker-feed.js';
import { formatCursor } from './event-cursor.js';
import { type StreamEventName, sseComment, sseEvent } from './sse-frame.js';
import { transitionBody } from './stream-events.js';

export interface EventStreamParts {
  /** `?name=`, or undefined for every breaker. */
  readonly name: string | undefined;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  readonly metrics: AdminMetrics;
  /** Closes the connection at once (a slow consumer: nothing more can be sent, nothing is flushed). */
  readonly cut: () => void;
  /** Called once, when the stream has ended for any reason; `reason` is undefined for one that never opened. */
  readonly onEnd: (reason: StreamEndReason | undefined) => void;
}

/**
 * One client's event stream: the `body` the route sends (Fastify pipes it to
 * the response, pausing while the socket is full), fed by the BreakerFeed.
 *
 * Memory is bounded by `maxBufferedBytes`: what the client has not read yet
 * waits in `body` (the socket's own buffer holds up to its high-water mark on
 * top); a stream whose backlog passes the bound is cut, counted as
 * `slow_consumer`, rather than buffered further. Until {@link open} the live
 * events wait (the opening snapshots and replay go first), under the same bound.
 */
export class EventStream implements FeedListener {
  readonly name: string | undefined;
  readonly body: Readable;
  readonly #parts: EventStreamParts;
  /** Live events that arrived before the opening was sent; null once open. */
  #held: { frame: string; event: StreamEventName }[] | null = [];
  #heldBytes = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #reason: StreamEndReason | undefined;
  #opened = false;
  #ended = false;

  constructor(parts: EventStreamParts) {
    this.#parts = parts;
    this.name = parts.name;
    this.body = new Readable({ read() {} });
    this.body.on('close', () => this.#finish());
    this.body.on('error', () => {}); // destroyed with the connection: nothing to report
  }

  /** Sends the opening (snapshots, replayed transitions, `ready`), then what arrived meanwhile, and starts the heartbeat. */
  open(opening: readonly { frame: string; event: StreamEventName }[]): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#opened = true;
    for (const { frame, event } of [...opening, ...held]) this.#write(frame, event);
    if (this.#ended) return;
    this.#heartbeat = setInterval(() => this.#write(sseComment('heartbeat'), undefined), this.#parts.heartbeatMs);
  }

  transition({ transition, snapshot }: LiveTransition): void {
    const id = transition.auditId === undefined ? undefined : formatCursor(transition.auditId, transition.name);
    this.#send(sseEvent('transition', transitionBody(transition, snapshot, false), id), 'transition');
  }

  snapshot(snapshot: BreakerSnapshot): void {
    this.#send(sseEvent('snapshot', snapshot), 'snapshot');
  }

  removed(name: string): void {
    this.#send(sseEvent('removed', { name }), 'removed');
  }

  /** Ends the stream cleanly (server shutting down): what is buffered is still sent. */
  end(reason: StreamEndReason): void {
    if (this.#ended) return;
    this.#reason ??= reason;
    this.body.push(null);
  }

  #send(frame: string, event: StreamEventName): void {
    if (this.#ended) return;
    if (this.#held !== null) {
      this.#held.push({ frame, event });
      this.#heldBytes += frame.length;
      if (this.#heldBytes > this.#parts.maxBufferedBytes) this.#cut();
      return;
    }
    this.#write(frame, event);
  }

  #write(frame: string, event: StreamEventName | undefined): void {
    if (this.#ended || this.body.destroyed) return;
    this.body.push(frame);
    if (event !== undefined) this.#parts.metrics.eventsSent.inc({ event });
    if (this.body.readableLength > this.#parts.maxBufferedBytes) this.#cut();
  }

  #cut(): void {
    this.#reason ??= 'slow_consumer';
    this.#held = null;
    this.#parts.cut();
    this.body.destroy();
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    this.#held = null;
    this.#parts.onEnd(this.#opened ? (this.#reason ?? 'client_closed') : undefined);
  }
}
