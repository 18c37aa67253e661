import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BreakerState, ProbeLease } from '@breakwater/breaker-core';
import type { PodCommand, PodReport } from './pod-worker.js';

export type { PodReport } from './pod-worker.js';

const WORKER = fileURLToPath(new URL('./pod-worker.ts', import.meta.url));

/** A command without its id: what the parent sends. */
type Request = PodCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/**
 * A pod process (pod-worker.ts under tsx) holding ClusterBreakers, driven over
 * IPC; a test can freeze it (SIGSTOP / SIGCONT) or make a pod hold its event
 * loop busy right after it asks for the probe lease.
 */
export class PodProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #seq = 0;
  readonly ready: Promise<void>;

  private constructor() {
    this.#child = fork(WORKER, [], {
      // The source condition: @breakwater/* resolve to their TypeScript sources, as in the tests.
      execArgv: ['--conditions=@breakwater/source', '--import', pathToTsx()],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.#child.once('exit', (code, signal) => {
        const err = new Error(`pod process exited (${code ?? signal})`);
        reject(err);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      this.#child.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (m.ready) resolve();
        if (m.id === undefined) return;
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      });
    });
  }

  static async start(): Promise<PodProcess> {
    const pod = new PodProcess();
    await pod.ready;
    return pod;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #call<T>(message: Request): Promise<T> {
    const id = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, ...message });
    });
  }

  create(count: number, podPrefix: string, options: Record<string, unknown>): Promise<number> {
    return this.#call({ cmd: 'create', count, podPrefix, options });
  }

  states(): Promise<BreakerState[]> {
    return this.#call({ cmd: 'states' });
  }

  /** Each pod's view and what it went through (fallbacks, rejoins, leases granted). */
  views(): Promise<PodReport[]> {
    return this.#call({ cmd: 'views' });
  }

  recordFailures(index: number, count: number): Promise<void> {
    return this.#call({ cmd: 'recordFailures', index, count });
  }

  /** Asks for the lease; with `stallMs`, the pod's event loop is then held busy that long before it reads the answer. */
  acquireProbe(index: number, stallMs = 0): Promise<ProbeLease | null> {
    return this.#call({ cmd: 'acquireProbe', index, stallMs });
  }

  reportProbe(index: number, lease: ProbeLease, outcome: 'success' | 'failure'): Promise<boolean> {
    return this.#call({ cmd: 'reportProbe', index, lease, outcome });
  }

  /** SIGSTOP: the whole process freezes (timers, sockets, IPC wait until SIGCONT). */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  /** SIGCONT after {@link freeze}. */
  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.thaw();
    await this.#call({ cmd: 'close' }).catch(() => {});
    this.#child.kill('SIGTERM');
  }

  /** Abrupt death, as when the kubelet kills a pod. */
  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

/** tsx's ESM loader, so the worker runs from TypeScript source like the tests. */
function pathToTsx(): string {
  return import.meta.resolve('tsx');
}
