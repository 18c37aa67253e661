import type { ChildProcess } from 'node:child_process';
import type { PusherCapacity, PusherFault, PusherStandInStats } from '@breakwater/pusher-stand-in';
import { forkTs } from './tsx-fork.js';

export type PusherStats = PusherStandInStats & { readonly processed: number };

/** The stand-in process, driven over IPC. */
export class PusherProcess {
  readonly #child: ChildProcess;
  readonly url: string;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (err: Error) => void }>();
  #seq = 0;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      if (m.id === undefined) return;
      const pending = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (m.error !== undefined) pending?.reject(new RangeError(m.error));
      else pending?.resolve(m.result);
    });
  }

  /**
   * Starts the stand-in on the scenario clock: `timeScale` times the wall clock from `origin`
   * (wall ms), so `scenarioClock(wall)` reads what the stand-in's clock read at `wall`.
   */
  static start(timeScale: number, origin: number): Promise<PusherProcess> {
    const child = forkTs(new URL('../pusher/pusher-main.ts', import.meta.url), [String(timeScale), String(origin)]);
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`pusher stand-in exited during start (${code})`)));
      child.once('message', (m: { type?: string; url?: string }) => {
        if (m.type === 'ready' && m.url) resolve(new PusherProcess(child, m.url));
      });
    });
  }

  #call<T>(message: Record<string, unknown>): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, ...message });
    });
  }

  setFault(fault: PusherFault): Promise<void> {
    return this.#call({ type: 'fault', fault });
  }

  /**
   * Gives the stand-in a capacity (a cold start) or lifts it (null). Its clock is the scenario
   * clock: rates per scenario second, `warmUpMs` in scenario ms. Rejects with the stand-in's
   * RangeError for a bad capacity. Unset by default.
   */
  setCapacity(capacity: PusherCapacity | null): Promise<void> {
    return this.#call({ type: 'capacity', capacity });
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
