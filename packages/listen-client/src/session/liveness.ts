import { encodeHeartbeat } from '../protocol/encode.js';
import type { Scheduler, TimerHandle } from '../time/scheduler.js';
import type { PusherConnection } from '../transport/pusher-connection.js';

export interface LivenessOptions {
  readonly clock: Scheduler;
  readonly heartbeatIntervalMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /**
   * pusher went silent (no pong in time) or a heartbeat could not be sent (the loop
   * ignores the latter while the socket is closing: its close event decides).
   */
  readonly onDead: (reason: 'pong_timeout' | 'send_failed') => void;
}

/**
 * Keeps one connection honest: a heartbeat frame (opcode 100) every interval,
 * because load balancers count data frames and not pings, and a WebSocket ping
 * whose pong must come back in time, because a pusher that accepts and then
 * says nothing looks alive to TCP.
 */
export class Liveness {
  readonly #options: LivenessOptions;
  #conn: PusherConnection | undefined;
  #heartbeat: TimerHandle | undefined;
  #ping: TimerHandle | undefined;
  #pongDeadline: TimerHandle | undefined;

  constructor(options: LivenessOptions) {
    this.#options = options;
  }

  start(conn: PusherConnection): void {
    this.stop();
    this.#conn = conn;
    this.#scheduleHeartbeat();
    this.#schedulePing();
  }

  stop(): void {
    this.#conn = undefined;
    for (const t of [this.#heartbeat, this.#ping, this.#pongDeadline])
      if (t !== undefined) this.#options.clock.clearTimeout(t);
    this.#heartbeat = this.#ping = this.#pongDeadline = undefined;
  }

  /** Any pong proves pusher is alive. */
  onPong(): void {
    if (this.#pongDeadline !== undefined) this.#options.clock.clearTimeout(this.#pongDeadline);
    this.#pongDeadline = undefined;
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.#options.clock.setTimeout(() => {
      const conn = this.#conn;
      if (!conn) return;
      // This runs from a timer: a send that throws (a socket torn down under us) must
      // become a lost connection, not an uncaught exception.
      let sent = false;
      try {
        sent = conn.send(encodeHeartbeat());
      } catch {
        sent = false;
      }
      if (!sent) {
        this.#options.onDead('send_failed');
        return;
      }
      this.#scheduleHeartbeat();
    }, this.#options.heartbeatIntervalMs);
  }

  #schedulePing(): void {
    this.#ping = this.#options.clock.setTimeout(() => {
      const conn = this.#conn;
      if (!conn) return;
      try {
        conn.ping();
      } catch {
        this.#options.onDead('send_failed');
        return;
      }
      this.#pongDeadline ??= this.#options.clock.setTimeout(() => {
        this.#pongDeadline = undefined;
        if (this.#conn) this.#options.onDead('pong_timeout');
      }, this.#options.pongTimeoutMs);
      this.#schedulePing();
    }, this.#options.pingIntervalMs);
  }
}
