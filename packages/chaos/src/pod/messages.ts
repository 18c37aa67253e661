import type { BreakerConfigInput } from '@breakwater/breaker-core';
import type { SlowCall } from './call-timer.js';

/**
 * A synchronous breaker call that takes this long (ms) both on the wall clock and in its
 * own thread's CPU time (main-thread GC pauses left out) blocks the pod's loop: a
 * violation. Wall time alone is not (the OS preempting a pod on a loaded machine, a
 * SIGSTOP). See call-timer.ts.
 */
export const SLOW_CALL_CPU_MS = 5;

/** How a pod reaches Redis: every address already points at the pod's own proxy. */
export type PodRedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
      readonly natMap: Record<string, { host: string; port: number }>;
    }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
      readonly name: string;
      readonly natMap: Record<string, { host: string; port: number }>;
    };

/** Everything a pod process needs, as its one argument (JSON). */
export interface PodSpec {
  readonly podId: string;
  readonly breaker: string;
  readonly prefix: string;
  readonly config: BreakerConfigInput;
  readonly target: PodRedisTarget;
  /** Ordinary calls (allow + record) per second. */
  readonly callsPerSecond: number;
  /** How often the pod samples its own view, ms. */
  readonly sampleMs: number;
}

/** The breaker's view as a pod holds it. */
export interface ViewKey {
  readonly state: string;
  readonly generation: number;
  readonly incarnation: string | undefined;
  readonly source: 'shared' | 'local';
}

/** Pod → orchestrator. `at` is the pod's wall clock (ms since epoch; one host, one clock). */
export type PodMessage =
  | { readonly t: 'ready'; readonly at: number }
  | ({ readonly t: 'view'; readonly at: number } & ViewKey)
  | {
      readonly t: 'grant';
      readonly at: number;
      readonly token: string;
      readonly generation: number;
      readonly incarnation: string | undefined;
      readonly expiresAt: number;
      readonly source: 'shared' | 'local';
      readonly held: boolean;
    }
  | {
      readonly t: 'report';
      readonly sentAt: number;
      readonly at: number;
      readonly token: string;
      readonly generation: number;
      readonly incarnation: string | undefined;
      readonly outcome: 'success' | 'failure';
      readonly accepted: boolean;
      readonly source: 'shared' | 'local';
    }
  | {
      readonly t: 'calls';
      readonly at: number;
      readonly calls: number;
      /** Longest allow()/record*() call: wall clock and this thread's CPU, ms. */
      readonly maxWallMs: number;
      readonly maxCpuMs: number;
      /** Calls over the limit: when, which, wall and CPU ms. */
      readonly slow: ReadonlyArray<SlowCall>;
      readonly errors: readonly string[];
    }
  | {
      readonly t: 'stats';
      readonly at: number;
      readonly rss: number;
      readonly heapUsed: number;
      readonly handles: number;
    }
  | { readonly t: 'stalled'; readonly from: number; readonly to: number }
  /** The pod's path to the breaker's master turned slow (at: the first late ask was sent) or answering again (at: the answer). */
  | { readonly t: 'path'; readonly ok: boolean; readonly at: number };

/** Orchestrator → pod. */
export type OrchestratorMessage =
  | { readonly t: 'upstream'; readonly failing: boolean }
  | { readonly t: 'stall'; readonly ms: number }
  | { readonly t: 'holdNextProbe'; readonly hold: boolean }
  | { readonly t: 'stats' }
  | { readonly t: 'close' };
