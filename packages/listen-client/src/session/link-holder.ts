import type { ProbeLease } from '@breakwater/breaker-core';
import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { DialAttempt, PusherConnection } from '../transport/pusher-connection.js';
import { dialLink, type Link } from './dial-link.js';
import { DialOutcome } from './dial-outcome.js';
import { Liveness } from './liveness.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { SessionWarnings } from './session-warnings.js';

export type LossReason = 'closed' | 'dropped' | 'pong_timeout' | 'send_failed';

export interface LinkHolderEvents {
  message(data: Buffer, isBinary: boolean): void;
  /** The connection in use closed, went silent or failed a heartbeat; `abnormal`: not a clean close. */
  lost(reason: LossReason, abnormal: boolean): void;
  /** True once the session is closing: a dial that opens then is closed at once. */
  closing(): boolean;
}

/**
 * What one session's keeper holds of pusher: the dial in flight, a connection just
 * dialed (until the keeper takes it), the connection in use with its liveness, and
 * the latest dial's {@link DialOutcome}, which it tells what became of the dial
 * and its connection (the outcome alone decides what the breaker hears). It opens, hands over and closes
 * connections, so that none is ever left open behind the keeper's back; the
 * keeper's state machine decides when.
 */
export class LinkHolder {
  readonly #o: ResolvedSessionOptions;
  readonly #metrics: PusherMetrics;
  readonly #repeat: SessionWarnings;
  readonly #events: LinkHolderEvents;
  readonly #liveness: Liveness;
  #inUse: Link | undefined;
  /** Dialed, not yet taken: closed, not leaked, if anything fails in between. */
  #fresh: Link | undefined;
  #dialing: DialAttempt | undefined;
  /** The verdict the breaker will hear about the latest dial (one dial at a time). */
  #outcome: DialOutcome | undefined;

  constructor(o: ResolvedSessionOptions, metrics: PusherMetrics, repeat: SessionWarnings, events: LinkHolderEvents) {
    this.#o = o;
    this.#metrics = metrics;
    this.#repeat = repeat;
    this.#events = events;
    this.#liveness = new Liveness({
      clock: o.clock,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      pingIntervalMs: o.pingIntervalMs,
      pongTimeoutMs: o.pongTimeoutMs,
      onDead: (reason) => events.lost(reason, true),
    });
  }

  /** The connection in use. */
  get conn(): PusherConnection | undefined {
    return this.#inUse?.conn;
  }

  /**
   * One dial, bounded by `timeoutMs`; events reach the keeper only once it is taken.
   * Its verdict goes to the breaker once ({@link DialOutcome}): under `lease`, as the
   * half-open probe's report.
   */
  async dial(lease: ProbeLease | null, timeoutMs: number): Promise<Link | undefined> {
    const outcome = new DialOutcome(this.#o.breaker, this.#o.clock, this.#o.probeConfirmMs, lease);
    this.#outcome = outcome;
    const link = await dialLink(this.#o, timeoutMs, this.#metrics, this.#repeat, {
      message: (data, isBinary) => this.#events.message(data, isBinary),
      pong: () => this.#liveness.onPong(),
      lost: (code) => {
        const clean = code === 1000 || code === 1001;
        this.#events.lost(clean ? 'closed' : 'dropped', !clean);
      },
      started: (attempt) => {
        this.#dialing = attempt;
      },
      closing: () => this.#events.closing(),
    });
    this.#dialing = undefined;
    if (!link) {
      if (this.#events.closing()) outcome.abandon();
      else outcome.failed();
    }
    this.#fresh = link;
    return link;
  }

  /**
   * Puts a dialed connection in use: liveness starts, and so does the window in
   * which it must prove itself. False if it died before it could be used: a failed
   * dial (its one verdict), not a connection.
   */
  take(link: Link): boolean {
    if (this.#fresh === link) this.#fresh = undefined;
    if (link.dead) {
      this.#metrics.connectionLosses.inc({ reason: 'dropped' });
      this.#outcome?.failed();
      return false;
    }
    link.active = true;
    this.#inUse = link;
    this.#liveness.start(link.conn);
    this.#outcome?.opened();
    return true;
  }

  /**
   * The connection in use is gone (a silent or unsendable one is destroyed);
   * `abnormal`: not a clean close. The dial's {@link DialOutcome} hears of it and
   * decides what the breaker is told. Returns undefined if none was in use, else
   * whether the loss was the dial's failed verdict (lost within the confirm window).
   */
  release(reason: LossReason, abnormal: boolean): { dialFailed: boolean } | undefined {
    const link = this.#inUse;
    if (!link) return undefined;
    this.#inUse = undefined;
    link.active = false;
    this.#liveness.stop();
    this.#metrics.connectionLosses.inc({ reason });
    if (reason === 'pong_timeout' || reason === 'send_failed') link.conn.terminate();
    return { dialFailed: this.#outcome?.lost(abnormal) ?? false };
  }

  /** Closing: the dial in flight is aborted and the latest verdict abandoned (nothing reported). */
  stopDialing(): void {
    this.#dialing?.abort();
    this.#outcome?.abandon();
  }

  /**
   * Closes every connection held, in use or just dialed. A dial still proving itself
   * gets no verdict: the client closed it, so it says nothing about pusher.
   */
  closeAll(code: number, reason: string): void {
    this.#outcome?.abandon();
    this.#liveness.stop();
    for (const link of [this.#inUse, this.#fresh]) if (link) closeLink(link, code, reason);
    this.#inUse = this.#fresh = undefined;
  }
}

/** Closes a connection the session no longer uses; a socket that cannot close cleanly is destroyed. */
function closeLink(link: Link, code: number, reason: string): void {
  link.active = false;
  try {
    link.conn.close(code, reason);
  } catch {
    link.conn.terminate();
  }
}
