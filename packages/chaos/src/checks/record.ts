import type { FaultSpec } from '../faults/schedule.js';
import type { PodMessage } from '../pod/messages.js';
import type { LoopDelay } from '../proxy/messages.js';

/** Redis's state as the observer read it: `key` is `state/generation/incarnation`, `absent` when the breaker is gone. */
export interface RedisSample {
  /** Midpoint of the read (between sending it and the reply), ms since epoch. */
  readonly at: number;
  readonly sentAt: number;
  readonly recvAt: number;
  readonly key: string;
  readonly generation: number;
  readonly incarnation: string | undefined;
}

export interface PodView {
  readonly at: number;
  readonly key: string;
}

/** The reason of the orchestrator's stall windows (see `Recording.stalls`). */
export const APPARATUS_STALLED = 'orchestrator stalled';
/** A stall longer than the breaker's command deadline: the pods' calls timed out, they rejoin after it (like after a slow path). */
export const APPARATUS_STALLED_PAST_DEADLINE = 'orchestrator stalled past the deadline';

/** A proxy host's loop stalled: the pods it serves had their Redis traffic held (their windows). */
export const PROXY_STALLED = 'proxy host stalled';
/** …longer than the breaker's command deadline: those pods' calls timed out, they rejoin after it. */
export const PROXY_STALLED_PAST_DEADLINE = 'proxy host stalled past the deadline';

/** A stretch when a pod cannot reach Redis (or cannot run): excluded from divergence. */
export interface Window {
  readonly from: number;
  to: number;
  readonly why: string;
}

export interface FaultRecord {
  readonly spec: FaultSpec;
  readonly startAt: number;
  /** When the fault was healed (the last of its effects removed). */
  healAt: number;
  note: string;
  error: string | undefined;
}

export type Grant = Extract<PodMessage, { t: 'grant' }> & { readonly podId: string };
export type Report = Extract<PodMessage, { t: 'report' }> & { readonly podId: string };
export type Stats = Extract<PodMessage, { t: 'stats' }>;

/** Everything one topology's run recorded; the checks read it afterwards. */
export class Recording {
  readonly redis: RedisSample[] = [];
  readonly views = new Map<string, PodView[]>();
  readonly windows = new Map<string, Window[]>();
  /** When each pod process (incarnation of a pod) was alive: [from, to). */
  readonly lives = new Map<string, Window[]>();
  readonly grants: Grant[] = [];
  readonly reports: Report[] = [];
  /** Pods SIGKILLed while holding a lease: the token they held. */
  readonly killedHolders = new Set<string>();
  readonly faults: FaultRecord[] = [];
  readonly slowCalls: Array<{ podId: string; at: number; call: string; wallMs: number; cpuMs: number; gcMs?: number }> =
    [];
  readonly callErrors: Array<{ podId: string; error: string }> = [];
  calls = 0;
  maxCallWallMs = 0;
  maxCallCpuMs = 0;
  readonly stats = new Map<string, Stats[]>();
  readonly admin: Array<{ at: number; action: string; status: number; detail?: string }> = [];
  readonly observerRttMs: number[] = [];
  /**
   * When the orchestrator's own event loop stalled (it hosts every pod's proxy and the
   * observer: the measuring apparatus held every pod's Redis traffic). Every pod's
   * divergence is not judged inside them, convergence does not count them, and after one
   * past the breaker's command deadline a pod on its local fallback is rejoining.
   */
  readonly stalls: Window[] = [];
  /** The orchestrator's event-loop delay over the run (set when the run ends). */
  loopDelay: LoopDelay | undefined;
  /** The proxy hosts' event-loop delay (the worst host's of each figure; set when the run ends). */
  proxyLoopDelay: LoopDelay | undefined;
  readonly notes: string[] = [];

  readonly #slowSince = new Map<string, number>();

  /** Closes the slow-path windows still open (at the end of the run, or when a pod dies). */
  closeSlowPaths(at: number, podId?: string): void {
    for (const [id, from] of this.#slowSince) {
      if (podId !== undefined && id !== podId) continue;
      this.addWindow(id, { from, to: at, why: 'slow path' });
      this.#slowSince.delete(id);
    }
  }

  onPodMessage(podId: string, m: PodMessage): void {
    switch (m.t) {
      case 'view':
        push(this.views, podId, { at: m.at, key: `${m.state}/${m.generation}/${m.incarnation}` });
        break;
      case 'grant':
        this.grants.push({ ...m, podId });
        break;
      case 'report':
        this.reports.push({ ...m, podId });
        break;
      case 'calls':
        this.calls += m.calls;
        this.maxCallWallMs = Math.max(this.maxCallWallMs, m.maxWallMs);
        this.maxCallCpuMs = Math.max(this.maxCallCpuMs, m.maxCpuMs);
        for (const s of m.slow) this.slowCalls.push({ podId, ...s });
        for (const error of m.errors) this.callErrors.push({ podId, error });
        break;
      case 'stats':
        push(this.stats, podId, m);
        break;
      case 'stalled':
        this.addWindow(podId, { from: m.from, to: m.to, why: 'busy loop' });
        break;
      case 'path': {
        // A slow path is a window from the first late ask to the next answer in time.
        const open = this.#slowSince.get(podId);
        if (!m.ok && open === undefined) this.#slowSince.set(podId, m.at);
        if (m.ok && open !== undefined) {
          this.#slowSince.delete(podId);
          this.addWindow(podId, { from: open, to: m.at, why: 'slow path' });
        }
        break;
      }
      case 'ready':
        break;
    }
  }

  addWindow(podId: string, w: Window): void {
    push(this.windows, podId, w);
  }

  beginLife(podId: string, at: number): void {
    push(this.lives, podId, { from: at, to: Number.POSITIVE_INFINITY, why: 'alive' });
  }

  endLife(podId: string, at: number): void {
    this.closeSlowPaths(at, podId);
    const l = this.lives.get(podId)?.at(-1);
    if (l && l.to === Number.POSITIVE_INFINITY) l.to = at;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  list.push(value);
}
