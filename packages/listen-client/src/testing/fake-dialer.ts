import type {
  ConnectionEvents,
  DialAttempt,
  DialOptions,
  PusherConnection,
  PusherDialer,
} from '../transport/pusher-connection.js';
import { UpgradeRejectedError } from '../transport/upgrade-rejected-error.js';

/** A connection the test controls: what the session sent, and pusher's side of it. */
export class FakeConnection implements PusherConnection {
  readonly sent: Buffer[] = [];
  open = true;
  /** pusher's close frame arrived ({@link beginClose}): sends are refused until {@link drop} delivers the close. */
  closing = false;
  pings = 0;
  bufferedAmount = 0;
  closedWith: number | undefined;
  terminated = false;
  /** pusher answers pings (set false for a silent pusher). */
  answerPings = true;
  readonly #events: ConnectionEvents;

  constructor(events: ConnectionEvents) {
    this.#events = events;
  }

  send(frame: Uint8Array): boolean {
    if (!this.open) return false;
    this.sent.push(Buffer.from(frame));
    return true;
  }

  ping(): void {
    this.pings++;
    if (this.answerPings) queueMicrotask(() => this.#events.pong());
  }

  close(code: number): void {
    if (!this.open) return;
    this.open = false;
    this.closedWith = code;
  }

  terminate(): void {
    this.terminated = true;
    this.open = false;
  }

  /** Opcodes of the frames sent, in order. */
  get opcodes(): number[] {
    return this.sent.map((f) => f.readUInt32LE(0));
  }

  /** pusher sends a frame. */
  receive(data: Buffer, isBinary = true): void {
    this.#events.message(data, isBinary);
  }

  pong(): void {
    this.#events.pong();
  }

  /**
   * pusher's close frame arrives (a deploy's 1001, say): like `ws`, the socket is
   * CLOSING and refuses sends, and the close event waits for the TCP connection to
   * go ({@link drop} with the frame's code).
   */
  beginClose(): void {
    this.open = false;
    this.closing = true;
  }

  /** pusher closes (1006 = dropped without a close frame). */
  drop(code = 1006): void {
    this.open = false;
    this.closing = false;
    this.#events.close(code, '');
  }
}

export interface PendingDial {
  readonly url: string;
  readonly events: ConnectionEvents;
  readonly options: DialOptions;
  aborted: boolean;
  settled: boolean;
  accept(): FakeConnection;
  fail(message?: string): void;
  /** pusher answers the upgrade with HTTP `status` (and a `Retry-After`, ms): an UpgradeRejectedError. */
  reject(status: number, retryAfterMs?: number): void;
}

/**
 * A dialer whose dials stay pending until the test accepts or fails them, or
 * answers every dial at once by `mode`.
 */
export class FakeDialer {
  readonly dials: PendingDial[] = [];
  readonly connections: FakeConnection[] = [];
  /** `manual`: dials wait for the test; `accept`/`fail`: answered at once. */
  mode: 'manual' | 'accept' | 'fail' = 'manual';

  readonly dialer: PusherDialer = (url, events, options): DialAttempt => {
    let resolve!: (c: PusherConnection) => void;
    let reject!: (e: Error) => void;
    const ready = new Promise<PusherConnection>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const dial: PendingDial = {
      url,
      events,
      options,
      aborted: false,
      settled: false,
      accept: () => {
        const conn = new FakeConnection(events);
        this.connections.push(conn);
        dial.settled = true;
        resolve(conn);
        return conn;
      },
      fail: (message = 'ECONNREFUSED') => {
        dial.settled = true;
        reject(new Error(message));
      },
      reject: (status, retryAfterMs) => {
        dial.settled = true;
        reject(new UpgradeRejectedError(status, retryAfterMs));
      },
    };
    this.dials.push(dial);
    if (this.mode === 'accept') dial.accept();
    else if (this.mode === 'fail') dial.fail();
    return {
      ready,
      abort: () => {
        dial.aborted = true;
        if (!dial.settled) dial.fail('aborted');
      },
    };
  };

  get last(): PendingDial {
    const d = this.dials[this.dials.length - 1];
    if (!d) throw new Error('no dial yet');
    return d;
  }

  get lastConnection(): FakeConnection {
    const c = this.connections[this.connections.length - 1];
    if (!c) throw new Error('no connection yet');
    return c;
  }
}
