import type { ChildProcess } from 'node:child_process';
import type { PusherFault, PusherStandInStats } from '@breakwater/pusher-stand-in';
import { forkTs } from './tsx-fork.js';

export type PusherStats = PusherStandInStats & { readonly processed: number };

/** The stand-in process, driven over IPC. */
export class PusherProcess {
  readonly #child: ChildProcess;
  readonly url: string;
  readonly #pending = new Map<number, (v: unknown) => void>();
  #seq = 0;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    child.on('message', (m: { id?: number; result?: unknown }) => {
      if (m.id === undefined) return;
      this.#pending.get(m.id)?.(m.result);
      this.#pending.delete(m.id);
    });
  }

  static start(): Promise<PusherProcess> {
    const child = forkTs(new URL('../pusher/pusher-main.ts', import.meta.url));
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`pusher stand-in exited during start (${code})`)));
      child.once('message', (m: { type?: string; url?: string }) => {
        if (m.type === 'ready' && m.url) resolve(new PusherProcess(child, m.url));
      });
    });
  }

  #call<T>(message: Record<string, unknown>): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, resolve as (v: unknown) => void);
      this.#child.send({ id, ...message });
    });
  }

  setFault(fault: PusherFault): Promise<void> {
    return this.#call({ type: 'fault', fault });
  }

  stats(): Promise<PusherStats> {
    return this.#call({ type: 'stats' });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await Promise.race([this.#call({ type: 'close' }), new Promise((r) => setTimeout(r, 3_000))]);
    this.#child.kill('SIGKILL');
  }
}
