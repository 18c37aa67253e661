import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { OrchestratorMessage, PodConfig, PodMessage, PodSample } from '../pod/messages.js';
import { forkTs } from './tsx-fork.js';

/** A liveness probe not answered within this is a failed probe (the kubelet's default timeout is 1 s). */
export const PROBE_TIMEOUT_MS = 1_000;
/** Consecutive failed probes after which the kubelet would kill the pod (its default failureThreshold). */
export const PROBE_FAILURE_THRESHOLD = 3;

interface PodHandle {
  readonly child: ChildProcess;
  latest: PodSample | undefined;
  final: PodSample | undefined;
  outstanding: { id: number; sentAt: number } | undefined;
  consecutiveFailures: number;
  failedProbes: number;
  unhealthy: boolean;
}

/**
 * The replay's listen pods: one process each, driven over IPC. Probes each pod
 * every second like a kubelet liveness probe, through its event loop, and marks
 * it unhealthy after {@link PROBE_FAILURE_THRESHOLD} consecutive misses.
 */
export class PodFleet {
  readonly #pods: PodHandle[];
  #probeSeq = 0;
  #probeTimer: NodeJS.Timeout | undefined;

  private constructor(pods: PodHandle[]) {
    this.#pods = pods;
  }

  /**
   * Forks every pod at scheduling priority `nice` (0 = the orchestrator's, the stand-in's and
   * Redis's) and resolves when all have started their sessions.
   */
  static async start(configs: readonly PodConfig[], startTimeoutMs: number, nice = 0): Promise<PodFleet> {
    const pods: PodHandle[] = [];
    const ready: Promise<void>[] = [];
    for (const config of configs) {
      const child = forkTs(new URL('../pod/pod-main.ts', import.meta.url));
      // Lowering one's own children's priority needs no privilege; tsx's loader and the pod are one process.
      if (nice > 0 && child.pid !== undefined) setPriority(child.pid, nice);
      const pod: PodHandle = {
        child,
        latest: undefined,
        final: undefined,
        outstanding: undefined,
        consecutiveFailures: 0,
        failedProbes: 0,
        unhealthy: false,
      };
      pods.push(pod);
      ready.push(
        new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`pod ${config.pod} exited during start (code ${code})`)));
          child.on('message', (m: PodMessage) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'error') reject(new Error(`pod ${config.pod} failed: ${m.message}`));
          });
        }),
      );
      child.on('message', (m: PodMessage) => PodFleet.#receive(pod, m));
      child.send({ type: 'start', config } satisfies OrchestratorMessage);
    }
    const fleet = new PodFleet(pods);
    try {
      await withTimeout(Promise.all(ready), startTimeoutMs, 'pods not ready');
    } catch (err) {
      fleet.kill();
      throw err;
    }
    fleet.#probeTimer = setInterval(() => fleet.#probe(), 1_000);
    return fleet;
  }

  /** Every pod starts its sessions (spread over a few seconds); resolves when all have. */
  async begin(timeoutMs: number): Promise<void> {
    const begun = this.#pods.map(
      (p) =>
        new Promise<void>((resolve) => {
          const onMessage = (m: PodMessage) => {
            if (m.type !== 'begun') return;
            p.child.off('message', onMessage);
            resolve();
          };
          p.child.on('message', onMessage);
        }),
    );
    this.broadcast({ type: 'begin' });
    await withTimeout(Promise.all(begun), timeoutMs, 'sessions not started');
  }

  static #receive(pod: PodHandle, m: PodMessage): void {
    if (m.type === 'sample') {
      pod.latest = m;
      if (m.final) pod.final = m;
    } else if (m.type === 'probe-ack' && pod.outstanding?.id === m.id) {
      const late = Date.now() - pod.outstanding.sentAt > PROBE_TIMEOUT_MS;
      pod.outstanding = undefined;
      if (late) PodFleet.#failed(pod);
      else pod.consecutiveFailures = 0;
    }
  }

  static #failed(pod: PodHandle): void {
    pod.failedProbes++;
    pod.consecutiveFailures++;
    if (pod.consecutiveFailures >= PROBE_FAILURE_THRESHOLD) pod.unhealthy = true;
  }

  #probe(): void {
    const now = Date.now();
    for (const pod of this.#pods) {
      if (pod.outstanding) {
        if (now - pod.outstanding.sentAt <= PROBE_TIMEOUT_MS) continue;
        PodFleet.#failed(pod); // still unanswered: a failed probe; send the next one anyway
      }
      if (!pod.child.connected) {
        // A pod that died mid-phase fails every probe from then on, as the kubelet would see it.
        PodFleet.#failed(pod);
        continue;
      }
      const id = ++this.#probeSeq;
      pod.outstanding = { id, sentAt: now };
      pod.child.send({ type: 'probe', id } satisfies OrchestratorMessage);
    }
  }

  get size(): number {
    return this.#pods.length;
  }

  /** Every pod's latest sample (pods that have not reported yet are left out). */
  samples(): PodSample[] {
    return this.#pods.flatMap((p) => (p.latest ? [p.latest] : []));
  }

  health(): { unhealthyPods: number; failedProbes: number; exitedPods: number } {
    return {
      unhealthyPods: this.#pods.filter((p) => p.unhealthy).length,
      failedProbes: this.#pods.reduce((n, p) => n + p.failedProbes, 0),
      exitedPods: this.#pods.filter((p) => !p.child.connected).length,
    };
  }

  broadcast(message: OrchestratorMessage): void {
    for (const pod of this.#pods) if (pod.child.connected) pod.child.send(message);
  }

  /** Tells every pod to drain and stop; resolves with their final samples (bounded by `timeoutMs`). */
  async finish(drainMs: number, timeoutMs: number): Promise<PodSample[]> {
    clearInterval(this.#probeTimer);
    this.broadcast({ type: 'finish', drainMs });
    const exited = this.#pods.map(
      (p) =>
        new Promise<void>((resolve) => (p.child.exitCode !== null ? resolve() : p.child.once('exit', () => resolve()))),
    );
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, timeoutMs))]);
    this.kill();
    return this.#pods.map((p) => p.final ?? p.latest).filter((s): s is PodSample => s !== undefined);
  }

  kill(): void {
    clearInterval(this.#probeTimer);
    for (const pod of this.#pods) if (pod.child.exitCode === null) pod.child.kill('SIGKILL');
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
