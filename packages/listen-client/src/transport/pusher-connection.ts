/** An open connection to pusher, as a session uses it. */
export interface PusherConnection {
  /**
   * Sends one binary frame; false when the socket is no longer open (nothing sent).
   * A socket that is {@link closing} refuses every send.
   */
  send(frame: Uint8Array): boolean;
  /**
   * True once the socket has begun to close without the session asking: pusher's
   * close frame arrived (a deploy's 1001, say) or the socket failed. Sends are
   * refused from then on, and {@link ConnectionEvents.close} follows with the code
   * that says how the connection ended; a send refused meanwhile is not a failure
   * of its own.
   */
  readonly closing: boolean;
  /** Bytes queued in the socket, not yet written: audio is dropped above a bound. */
  readonly bufferedAmount: number;
  /** A WebSocket ping; the answer arrives as {@link ConnectionEvents.pong}. */
  ping(): void;
  /** A clean close (close frame with `code`). */
  close(code: number, reason: string): void;
  /** Destroys the socket at once (no close handshake): for a silent pusher. */
  terminate(): void;
}

/** What a connection tells its session, after it opened. */
export interface ConnectionEvents {
  message(data: Buffer, isBinary: boolean): void;
  pong(): void;
  /** Exactly once per opened connection. 1006 = no close frame (dropped). */
  close(code: number, reason: string): void;
}

/** One dial in progress. */
export interface DialAttempt {
  /**
   * Resolves when the WebSocket is open; rejects if it fails or is aborted. An upgrade
   * pusher answered with an HTTP error should reject with an `UpgradeRejectedError`, so
   * that a 503 with `Retry-After` is seen as overload, not as a failure.
   */
  readonly ready: Promise<PusherConnection>;
  /** Gives up (connect timeout, session closed): `ready` rejects, the socket is destroyed. */
  abort(): void;
}

/** What a session asks of every dial, beyond the URL. */
export interface DialOptions {
  /** The handshake's `User-Agent` header: names the client in pusher's logs (the session's `userAgent`). */
  readonly userAgent: string;
}

/** Opens connections. The default is {@link wsDialer}; tests inject their own. */
export type PusherDialer = (url: string, events: ConnectionEvents, options: DialOptions) => DialAttempt;
