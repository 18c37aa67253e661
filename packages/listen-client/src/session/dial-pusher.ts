import type { PusherMetrics } from '../metrics/pusher-metrics.js';
import type { ConnectionEvents, DialAttempt, PusherConnection } from '../transport/pusher-connection.js';
import { isUpgradeRejectedError } from '../transport/upgrade-rejected-error.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { SessionWarnings } from './session-warnings.js';

/** One dial's connection: `active` once the session took it, `dead` if it closed before that. */
export interface DialedConnection {
  readonly conn: PusherConnection;
  active: boolean;
  dead: boolean;
}

export interface DialHandlers {
  message(data: Buffer, isBinary: boolean): void;
  pong(): void;
  /** The active connection closed, with this code. */
  lost(code: number): void;
  /** The dial is under way (aborted if the session closes). */
  started(attempt: DialAttempt): void;
  /** The dial failed with `err` (an UpgradeRejectedError when pusher answered the upgrade with an HTTP error). */
  failed(err: unknown): void;
  closing(): boolean;
}

/**
 * Dials pusher once, bounded by `timeoutMs` (the connect timeout). Counts the result in `pusher_reconnect_attempts_total`
 * (`overloaded`: a 503 or 429 with `Retry-After`), logs failures folded, never throws. Events from the connection are delivered only
 * while it is active, so a connection that dies before the session takes it is
 * marked dead, not lost.
 */
export async function dialPusher(
  options: ResolvedSessionOptions,
  timeoutMs: number,
  metrics: PusherMetrics,
  warnings: SessionWarnings,
  handlers: DialHandlers,
): Promise<DialedConnection | undefined> {
  let dialed: DialedConnection | undefined;
  const events: ConnectionEvents = {
    message: (data, isBinary) => {
      if (dialed?.active) handlers.message(data, isBinary);
    },
    pong: () => {
      if (dialed?.active) handlers.pong();
    },
    close: (code) => {
      if (!dialed) return;
      if (!dialed.active) dialed.dead = true;
      else handlers.lost(code);
    },
  };
  const failed = (timedOut: boolean, err: unknown) => {
    const result = timedOut ? 'timeout' : isUpgradeRejectedError(err) && err.overload ? 'overloaded' : 'failure';
    metrics.reconnectAttempts.inc({ result });
    if (!handlers.closing()) warnings.warn(`dial_${result}`, { err: String(err) }, `pusher dial ${result}`);
    handlers.failed(err);
    return undefined;
  };
  let attempt: DialAttempt;
  try {
    attempt = options.dialer(options.url, events, { userAgent: options.userAgent });
  } catch (err) {
    return failed(false, err);
  }
  handlers.started(attempt);
  let timedOut = false;
  const timer = options.clock.setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, timeoutMs);
  try {
    dialed = { conn: await attempt.ready, active: false, dead: false };
  } catch (err) {
    return failed(timedOut, err);
  } finally {
    options.clock.clearTimeout(timer);
  }
  metrics.reconnectAttempts.inc({ result: 'success' });
  if (handlers.closing()) {
    dialed.conn.close(1000, 'session closed');
    return undefined;
  }
  return dialed;
}
