import type { RedisClient } from '@breakwater/breaker-core';
import type { PodRedisTarget } from '../pod/messages.js';
import type { ProxyAddresses, Upstream } from '../proxy/pod-proxy.js';

export const TOPOLOGY_KINDS = ['standalone', 'cluster', 'sentinel'] as const;
export type TopologyKind = (typeof TOPOLOGY_KINDS)[number];

/**
 * A real Redis deployment (started through @breakwater/redis-harness) as the campaign
 * drives it. Every fault method injects the fault, holds it, heals it and resolves
 * once the topology is healthy again; `onDown`/`onUp` mark when the breaker's master
 * stopped and started answering (for the reachability the checks need).
 */
export interface ChaosTopology {
  readonly kind: TopologyKind;
  /** Every address a pod dials (data nodes, sentinels): each gets a listener in the pod's proxy. */
  upstreams(): readonly Upstream[];
  /** How a pod reaches Redis through its proxy. */
  podTarget(proxy: ProxyAddresses): PodRedisTarget;
  /** A direct connection for the observer (fail-fast: errors at once while Redis is down). */
  observerClient(): RedisClient;
  /** The admin API's environment for this topology (REDIS_URL, or Sentinel, or Cluster nodes). */
  adminEnv(): Record<string, string>;
  /** Keys under `prefix` on every master. */
  keyCount(prefix: string): Promise<number>;
  readonly hasFailover: boolean;
  /** SIGKILL the breaker's master and bring it back empty (what each topology makes of that: see README). */
  killRestart(holdMs: number, marks: Marks): Promise<string>;
  /** SIGSTOP the breaker's master for `holdMs`, then SIGCONT. */
  pauseResume(holdMs: number, marks: Marks): Promise<string>;
  /** SENTINEL FAILOVER / CLUSTER FAILOVER. */
  failoverManual(marks: Marks): Promise<string>;
  /** SIGKILL the master, wait for the promotion, bring the old master back as a replica. */
  failoverKill(marks: Marks): Promise<string>;
  stop(): Promise<void>;
}

export interface Marks {
  /** The breaker's master stopped answering (or its role is moving). */
  down(): void;
  /** The breaker's master answers again, in its final place. */
  up(): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true; throws with `what` after `timeoutMs`. */
export async function pollUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms: ${what}${last ? ` (${last})` : ''}`);
    await sleep(100);
  }
}
