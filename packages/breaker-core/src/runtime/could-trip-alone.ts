import type { BreakerConfig } from '../config/breaker-config.js';

/**
 * Whether the outcomes one pod has counted but not yet sent could trip the
 * breaker by themselves, whatever the rest of the fleet reported: then they
 * are worth sending at once instead of at the next flush. The trip rule of
 * state/rules.ts (failure count that is also at least `minFailureRatio` of the
 * calls, or failure rate over at least `minimumCalls` calls; and `quorum`
 * distinct pods) applied to the pending counts alone, so with a quorum above 1
 * one pod never can.
 *
 * Pure, allocation-free and a handful of comparisons: recordFailure() calls it.
 */
export function couldTripAlone(failures: number, successes: number, config: BreakerConfig): boolean {
  if (failures === 0 || config.quorum > 1) return false;
  const calls = failures + successes;
  if (failures >= config.failureThreshold && failures >= config.minFailureRatio * calls) return true;
  const rate = config.failureRate;
  if (rate === null) return false;
  return calls >= rate.minimumCalls && failures >= rate.threshold * calls;
}
