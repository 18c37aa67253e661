import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { OverloadMode } from './capacity.js';

/** Answers an upgrade request with an HTTP error and no upgrade; `headers` are whole `Name: value\r\n` lines. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Answers a handshake the capacity has no room for, the way an overloaded pusher does. A `stall`ed
 * socket goes into `stalled` (and leaves it when it closes); the caller resets them when it wants.
 */
export function answerOverload(
  { mode, retryAfterSeconds }: { readonly mode: OverloadMode; readonly retryAfterSeconds: number },
  upgrade: {
    readonly wss: WebSocketServer;
    readonly req: IncomingMessage;
    readonly socket: Duplex;
    readonly head: Buffer;
  },
  stalled: Set<Duplex>,
): void {
  const { wss, req, socket, head } = upgrade;
  if (mode === 'http-503') {
    refuseUpgrade(socket, 503, 'Service Unavailable', `Retry-After: ${retryAfterSeconds}\r\n`);
  } else if (mode === 'close-1011') {
    // Completed and closed at once, never a session: not in `connections`, `open` or `closeCodes`.
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      ws.close(1011, 'overloaded');
    });
  } else {
    // Held, but read: a client that gives up (its connect timeout) is let go at once, not kept open.
    stalled.add(socket);
    socket.once('close', () => stalled.delete(socket));
    socket.once('end', () => socket.destroy());
    socket.resume();
  }
}
