import { WebSocket } from 'ws';
import type {
  ConnectionEvents,
  DialAttempt,
  DialOptions,
  PusherConnection,
  PusherDialer,
} from './pusher-connection.js';
import { parseRetryAfter, UpgradeRejectedError } from './upgrade-rejected-error.js';

/** Largest frame accepted from pusher (its frames are small JSON answers). */
export const MAX_INBOUND_FRAME_BYTES = 1_048_576;

/**
 * Dials pusher with `ws`: no compression (audio does not compress and deflate
 * costs event-loop time), a bounded inbound frame size, no handshake timeout of
 * its own (the session's connect timeout aborts the dial), and the session's
 * `User-Agent` on the handshake. An upgrade answered with an HTTP error rejects with
 * {@link UpgradeRejectedError} (its status and `Retry-After`).
 */
export const wsDialer: PusherDialer = (url: string, events: ConnectionEvents, options: DialOptions): DialAttempt => {
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: MAX_INBOUND_FRAME_BYTES,
    headers: { 'User-Agent': options.userAgent },
  });
  let opened = false;
  let settle: { resolve(c: PusherConnection): void; reject(e: Error): void } | undefined;
  const ready = new Promise<PusherConnection>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const fail = (err: Error) => {
    if (opened || !settle) return;
    const s = settle;
    settle = undefined;
    s.reject(err);
  };
  const connection: PusherConnection = {
    send: (frame) => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(frame, { binary: true });
      return true;
    },
    // ws is CLOSING from the moment pusher's close frame arrives (or the socket
    // errors) until the TCP connection is gone and `close` is emitted; the
    // session only closes connections it no longer uses.
    get closing() {
      return ws.readyState === WebSocket.CLOSING;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    ping: () => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
  };
  ws.on('open', () => {
    opened = true;
    const s = settle;
    settle = undefined;
    s?.resolve(connection);
  });
  ws.on('error', (err: Error) => fail(err));
  ws.on('unexpected-response', (_req, res) => {
    // The status and its Retry-After tell an overloaded pusher (503 + Retry-After) from a broken one.
    fail(new UpgradeRejectedError(res.statusCode ?? 0, parseRetryAfter(res.headers['retry-after'], Date.now())));
    ws.terminate();
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => events.message(data, isBinary));
  ws.on('pong', () => events.pong());
  ws.on('close', (code: number, reason: Buffer) => {
    if (opened) events.close(code, reason.toString('utf8'));
    else fail(new Error(`connection closed before it opened (${code})`));
  });
  return {
    ready,
    abort: () => {
      fail(new Error('dial aborted'));
      ws.terminate();
    },
  };
};
