import type { BreakerSnapshot } from '../state/breaker-state.js';
import { cooldownFor } from '../state/cooldown.js';

/**
 * What the local breaker starts from when the pod falls back, given what the pod
 * knew and the store's clock now.
 *
 * While the breaker is open or half-open, its probe is the fleet's: the shared
 * cooldown may end, and another pod hold the one lease, while this pod cannot
 * see it. Restored as it was, the local breaker would grant this pod a lease of
 * its own at once (half-open) or as soon as the shared cooldown ended (open),
 * beside the holder of the shared one. So an open or half-open breaker starts
 * open, for a full cooldown of its own from `now` (the later of that and the
 * cooldown it carried; `cooldownFor`, as the rules compute it): if the store is
 * back within it, the pod follows the shared probe; if not, it probes alone once
 * its local cooldown ends, as every pod on its fallback does. An override stays
 * in force on top; a closed breaker starts as it was.
 */
export function fallbackStart(known: BreakerSnapshot, now: number): BreakerSnapshot {
  if (known.automaticState === 'closed') return known;
  const fresh = now + cooldownFor(known.config, known.probeFailures, known.generation, now);
  const cooldownUntil = Math.max(known.cooldownUntil ?? 0, fresh);
  const openedAt = known.automaticState === 'open' ? known.openedAt : now;
  const state = known.override?.mode ?? 'open';
  return { ...known, state, automaticState: 'open', openedAt, cooldownUntil, probe: null, halfOpenSuccesses: 0 };
}
