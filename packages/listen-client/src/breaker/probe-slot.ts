import type { ProbeLease } from '@breakwater/breaker-core';
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

/**
 * Claims the pod's slot, then asks the cluster for the half-open lease. Null when
 * another session of the pod holds the slot or the cluster grants no lease (the
 * slot is then released). Never rejects: `acquireProbe()` is contracted not to, and
 * if it does anyway `onError` hears of it and there is no lease.
 */
export async function acquireProbeLease(
  breaker: SessionBreaker,
  owner: object,
  onError: (err: unknown) => void,
): Promise<ProbeLease | null> {
  if (!claimProbeSlot(breaker, owner)) return null;
  let lease: ProbeLease | null = null;
  try {
    lease = await breaker.acquireProbe();
  } catch (err) {
    onError(err);
  }
  if (!lease) releaseProbeSlot(breaker, owner);
  return lease;
}
