import type { ProbeLease, RampAdmission } from '@breakwater/breaker-core';
import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { DialAttempt, PusherConnection } from '../transport/pusher-connection.js';
import { isUpgradeRejectedError } from '../transport/upgrade-rejected-error.js';
import { type DialedConnection, dialPusher } from './dial-pusher.js';
import { type ConnectionEnd, DialVerdict } from './dial-verdict.js';
import { Liveness } from './liveness.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { SessionWarnings } from './session-warnings.js';

export type LossReason = 'closed' | 'dropped' | 'pong_timeout' | 'send_failed';

export interface CurrentConnectionEvents {
  message(data: Buffer, isBinary: boolean): void;
  /** The connection in use closed, went silent or failed a heartbeat, ending as `end`. */
  lost(reason: LossReason, end: ConnectionEnd): void;
  /** True once the session is closing: a dial that opens then is closed at once. */
  closing(): boolean;
}

/**
 * Owns one session's connection to pusher, from dial to close: the dial in flight,
 * a connection just dialed (until the reconnect loop takes it), the connection in
 * use with its liveness, and the latest dial's {@link DialVerdict}, which it tells
 * what became of the dial and its connection (the verdict alone decides what the
 * breaker hears). It opens, hands over and closes connections, so that none is ever
 * left open behind the loop's back; the loop's state machine decides when.
 */
export class CurrentConnection {
  readonly #options: ResolvedSessionOptions;
  readonly #metrics: PusherMetrics;
  readonly #warnings: SessionWarnings;
  readonly #events: CurrentConnectionEvents;
  readonly #liveness: Liveness;
  #inUse: DialedConnection | undefined;
  /** Dialed, not yet taken: closed, not leaked, if anything fails in between. */
  #fresh: DialedConnection | undefined;
  #dialing: DialAttempt | undefined;
  /** The verdict the breaker will hear about the latest dial (one dial at a time). */
  #verdict: DialVerdict | undefined;
  /**
   * A 1001 within a confirm window was excused since the last connection that
   * proved itself: the next one is a failure ({@link DialVerdict}).
   */
  #goingAwayExcused = false;
  /** The latest dial failed because pusher is overloaded (503 or 429 with Retry-After). */
  #overload: { readonly retryAfterMs: number } | undefined;

  constructor(
    options: ResolvedSessionOptions,
    metrics: PusherMetrics,
    warnings: SessionWarnings,
    events: CurrentConnectionEvents,
  ) {
    this.#options = options;
    this.#metrics = metrics;
    this.#warnings = warnings;
    this.#events = events;
    this.#liveness = new Liveness({
      clock: options.clock,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      pingIntervalMs: options.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs,
      onDead: (reason) => events.lost(reason, 'abnormal'),
    });
  }

  /** The connection in use. */
  get conn(): PusherConnection | undefined {
    return this.#inUse?.conn;
  }

  /**
   * The connection in use is closing (pusher's close frame arrived, or the socket
   * failed): it refuses sends, and its close event, on the way, says how it ended.
   */
  get closing(): boolean {
    return this.#inUse?.conn.closing === true;
  }

  /**
   * The latest dial failed because pusher said it is overloaded (the upgrade answered
   * 503 or 429 with `Retry-After`, ms): the caller should not retry before then.
   */
  get overload(): { readonly retryAfterMs: number } | undefined {
    return this.#overload;
  }

  /**
   * One dial, bounded by `timeoutMs` (by default the connect timeout); events reach
   * the loop only once it is taken. Its verdict goes to the breaker once
   * ({@link DialVerdict}): under `lease`, as the half-open probe's report; and to the
   * ramp that gave it `admission`, if any.
   */
  async dial(
    lease: ProbeLease | null = null,
    timeoutMs = this.#options.connectTimeoutMs,
    admission: RampAdmission | null = null,
  ): Promise<DialedConnection | undefined> {
    if (this.#verdict?.proven) this.#goingAwayExcused = false;
    const ramp = this.#options.ramp;
    const verdict = new DialVerdict({
      breaker: this.#options.breaker,
      clock: this.#options.clock,
      confirmMs: this.#options.probeConfirmMs,
      lease,
      excuseGoingAway: !this.#goingAwayExcused,
      ramp: admission && ramp ? { ramp, admission } : null,
    });
    this.#overload = undefined;
    let failure: unknown;
    this.#verdict = verdict;
    const dialed = await dialPusher(this.#options, timeoutMs, this.#metrics, this.#warnings, {
      message: (data, isBinary) => this.#events.message(data, isBinary),
      pong: () => this.#liveness.onPong(),
      lost: (code) => {
        const end = connectionEnd(code);
        this.#events.lost(end === 'abnormal' ? 'dropped' : 'closed', end);
      },
      started: (attempt) => {
        this.#dialing = attempt;
      },
      failed: (err) => {
        failure = err;
      },
      closing: () => this.#events.closing(),
    });
    this.#dialing = undefined;
    if (!dialed) {
      if (this.#events.closing()) verdict.abandon();
      else {
        if (isUpgradeRejectedError(failure) && failure.overload) {
          this.#overload = { retryAfterMs: failure.retryAfterMs ?? 0 };
        }
        verdict.failed(this.#overload);
      }
    }
    this.#fresh = dialed;
    return dialed;
  }

  /**
   * Puts a dialed connection in use: liveness starts, and so does the window in
   * which it must prove itself. False if it died before it could be used: a failed
   * dial (its one verdict), not a connection.
   */
  take(dialed: DialedConnection): boolean {
    if (this.#fresh === dialed) this.#fresh = undefined;
    if (dialed.dead) {
      this.#metrics.connectionLosses.inc({ reason: 'dropped' });
      this.#verdict?.failed();
      return false;
    }
    dialed.active = true;
    this.#inUse = dialed;
    this.#liveness.start(dialed.conn);
    this.#verdict?.opened();
    return true;
  }

  /**
   * The connection in use is gone (a silent or unsendable one is destroyed),
   * ending as `end`. The dial's {@link DialVerdict} hears of it and decides what
   * the breaker is told. Returns undefined if none was in use, else whether the
   * connection had proved itself (lost after the confirm window).
   */
  release(reason: LossReason, end: ConnectionEnd): { proven: boolean } | undefined {
    const dialed = this.#inUse;
    if (!dialed) return undefined;
    this.#inUse = undefined;
    dialed.active = false;
    this.#liveness.stop();
    this.#metrics.connectionLosses.inc({ reason });
    if (reason === 'pong_timeout' || reason === 'send_failed') dialed.conn.terminate();
    const verdict = this.#verdict?.lost(end);
    if (verdict === 'excused') this.#goingAwayExcused = true;
    return { proven: verdict === 'after_verdict' };
  }

  /** Closing: the dial in flight is aborted and the latest verdict abandoned (nothing reported). */
  stopDialing(): void {
    this.#dialing?.abort();
    this.#verdict?.abandon();
  }

  /**
   * Closes every connection held, in use or just dialed. A dial still proving itself
   * gets no verdict: the client closed it, so it says nothing about pusher.
   */
  closeAll(code: number, reason: string): void {
    this.#verdict?.abandon();
    this.#liveness.stop();
    for (const dialed of [this.#inUse, this.#fresh]) if (dialed) closeDialed(dialed, code, reason);
    this.#inUse = this.#fresh = undefined;
  }
}

/** Closes a connection the session no longer uses; a socket that cannot close cleanly is destroyed. */
function closeDialed(dialed: DialedConnection, code: number, reason: string): void {
  dialed.active = false;
  try {
    dialed.conn.close(code, reason);
  } catch {
    dialed.conn.terminate();
  }
}

/**
 * How pusher ended a connection, from the close code `ws` reports: 1001 "going away" and
 * 1012 "service restart" are a pusher pod shutting down (a deploy); 1000, and 1005 (a close
 * frame that carried no code: a clean close handshake all the same), are a normal close;
 * anything else (1006: no close frame at all, 1011, 1013, …) is abnormal.
 */
export function connectionEnd(code: number): ConnectionEnd {
  if (code === 1001 || code === 1012) return 'going_away';
  if (code === 1000 || code === 1005) return 'normal';
  return 'abnormal';
}
