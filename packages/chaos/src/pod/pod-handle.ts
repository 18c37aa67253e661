import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkRegistered } from '../fork-registered.js';
import type { OrchestratorMessage, PodMessage, PodSpec } from './messages.js';

const MAIN = fileURLToPath(new URL('./pod-main.ts', import.meta.url));

/**
 * The orchestrator's handle on one pod process (pod-main.ts under tsx). Registered
 * with the harness's process registry, so it is killed with the Redis servers when
 * the campaign exits, fails or is interrupted.
 */
export class PodHandle {
  readonly #child: ChildProcess;
  readonly #unregister: () => void;
  readonly ready: Promise<void>;
  #frozen = false;
  /** Set before the orchestrator kills or closes the pod: any other exit is a crash. */
  #ending = false;

  private constructor(
    readonly spec: PodSpec,
    onMessage: (podId: string, m: PodMessage) => void,
    onCrash: (podId: string, why: string) => void,
  ) {
    const { child, unregister } = forkRegistered(MAIN, [JSON.stringify(spec)], `chaos-pod:${spec.podId}`, async () => {
      this.#ending = true;
      await this.kill();
    });
    this.#child = child;
    this.#unregister = unregister;
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => {
        this.#unregister();
        if (!this.#ending) onCrash(spec.podId, `exited (${code ?? signal})`);
        reject(new Error(`pod ${spec.podId} exited before it was ready (${code ?? signal})`));
      });
      child.on('message', (m: PodMessage) => {
        if (m.t === 'ready') resolve();
        onMessage(spec.podId, m);
      });
    });
    this.ready.catch(() => {});
  }

  static async start(
    spec: PodSpec,
    onMessage: (podId: string, m: PodMessage) => void,
    onCrash: (podId: string, why: string) => void = () => {},
  ): Promise<PodHandle> {
    const pod = new PodHandle(spec, onMessage, onCrash);
    await pod.ready;
    return pod;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  send(m: OrchestratorMessage): void {
    if (this.alive && this.#child.connected) this.#child.send(m, () => {});
  }

  /** SIGSTOP: timers, sockets and IPC wait until {@link thaw}. */
  freeze(): void {
    if (!this.alive) return;
    this.#child.kill('SIGSTOP');
    this.#frozen = true;
  }

  thaw(): void {
    if (!this.alive) return;
    this.#child.kill('SIGCONT');
    this.#frozen = false;
  }

  /** Abrupt death (SIGKILL); resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.#ending = true;
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.kill('SIGKILL');
    await exited;
    this.#unregister();
  }

  /** Closes the breaker (its connections) and exits; SIGKILL after 5 s. */
  async close(): Promise<void> {
    if (!this.alive) return;
    this.#ending = true;
    this.thaw();
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.send({ t: 'close' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.#unregister();
  }
}
