// Shared by the unit tests beside the code; excluded from the build.
// Real `ws` clients on loopback. No timing assertions: every wait is for an event.
import { expect } from 'vitest';
import { WebSocket } from 'ws';

export interface Client {
  readonly ws: WebSocket;
  readonly received: Buffer[];
  /** The close code the client saw. */
  readonly closed: Promise<number>;
  next(): Promise<Buffer>;
}

/** Opens clients and terminates every one of them in `terminateAll()` (call it in afterEach). */
export class Clients {
  readonly #all: WebSocket[] = [];

  dial(url: string, headers?: Record<string, string>): Client {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(headers ? { headers } : {}) });
    this.#all.push(ws);
    const received: Buffer[] = [];
    const waiters: ((b: Buffer) => void)[] = [];
    ws.on('message', (data: Buffer) => {
      const w = waiters.shift();
      if (w) w(data);
      else received.push(data);
    });
    ws.on('error', () => {});
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    return {
      ws,
      received,
      closed,
      next: () => {
        const b = received.shift();
        return b ? Promise.resolve(b) : new Promise((resolve) => waiters.push(resolve));
      },
    };
  }

  terminateAll(): void {
    for (const ws of this.#all) ws.terminate();
    this.#all.length = 0;
  }
}

export function opened(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    c.ws.once('open', () => resolve());
    c.ws.once('error', reject);
  });
}

export function failed(c: Client): Promise<Error> {
  return new Promise((resolve) => {
    c.ws.once('error', (err) => resolve(err));
    c.ws.once('open', () => resolve(new Error('unexpectedly opened')));
  });
}

/** Polls `condition` (an event the test cannot await directly) and fails if it never holds. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}
