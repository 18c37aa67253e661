import type { SessionBreaker } from './session-breaker.js';

/**
 * One probe per pod. The store grants a pod's lease again to the same pod when
 * it asks twice, so without this two sessions of one pod could both "hold" the
 * lease and both dial. A session claims the pod's slot for its breaker before it
 * asks for the lease and releases it when its probe is over.
 */
const holders = new WeakMap<SessionBreaker, object>();

export function claimProbeSlot(breaker: SessionBreaker, owner: object): boolean {
  const holder = holders.get(breaker);
  if (holder !== undefined && holder !== owner) return false;
  holders.set(breaker, owner);
  return true;
}

export function releaseProbeSlot(breaker: SessionBreaker, owner: object): void {
  if (holders.get(breaker) === owner) holders.delete(breaker);
}
