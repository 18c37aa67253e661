import type { ProxyMode, Upstream } from './pod-proxy.js';

/**
 * The IPC between the orchestrator and a proxy host (proxy-host-main.ts), the child
 * process that runs some pods' TCP proxies so their traffic never waits on the
 * orchestrator's event loop. Times are the host's wall clock (ms since epoch; one host,
 * one clock, as the checks assume).
 */

/** Orchestrator → host: each request gets one `done` with its `req`. */
export type ProxyRequest =
  | { readonly op: 'listen'; readonly id: number; readonly upstreams: readonly Upstream[] }
  /** Sets the mode of these proxies at once; `healSeq` numbers the heal a switch back to `pass` makes. */
  | {
      readonly op: 'mode';
      readonly ids: readonly number[];
      readonly mode: ProxyMode;
      readonly latencyMs: number;
      readonly healSeq: number;
    }
  /** A heal marked by the orchestrator at `at` (Redis back): see PodProxy.markHeal. */
  | { readonly op: 'heal'; readonly ids: readonly number[]; readonly at: number; readonly healSeq: number }
  /** The host's event-loop delay since it started. */
  | { readonly op: 'loop' }
  | { readonly op: 'close' };

export type HostCommand = ProxyRequest & { readonly req: number };

/** The host's own loop delay, ms. */
export interface LoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time the process spent over the same span (user + system), seconds. */
  readonly cpuS?: number;
}

/** Host → orchestrator. */
export type HostMessage =
  | { readonly t: 'ready' }
  /**
   * The answer to request `req`, sent once it has taken effect: `at` is when (for `mode`,
   * the moment every proxy named was in the new mode).
   */
  | {
      readonly t: 'done';
      readonly req: number;
      readonly at: number;
      readonly ports?: ReadonlyArray<readonly [string, number]>;
      readonly loop?: LoopDelay;
      readonly error?: string;
    }
  /** Proxy `id`'s path first answered at `at` after its heal number `healSeq`. */
  | { readonly t: 'reached'; readonly id: number; readonly healSeq: number; readonly at: number }
  /** The host's loop was held from `from` to `to` (a tick over 100 ms late): its pods' traffic was held too. */
  | { readonly t: 'stalled'; readonly from: number; readonly to: number };
