import type { BreakerSnapshot } from '../state/breaker-state.js';
import type { StateChangeEvent } from './breaker-events.js';

/**
 * The action behind a change between two snapshots, for replies that carry a
 * snapshot but not the transitions (acquireProbe and reportProbe; record
 * replies list theirs). Read from the automatic states the rules move between
 * (state/rules.ts); an override that is gone without an automatic change
 * lapsed. Anything else (several steps at once, another pod's doing) is
 * reported as what it is to this pod: a resync.
 */
export function causeOfChange(before: BreakerSnapshot, after: BreakerSnapshot): StateChangeEvent['cause'] {
  if (after.generation === before.generation) return 'resync';
  const from = before.automaticState;
  const to = after.automaticState;
  if (from === 'open' && to === 'half_open') return 'half_open';
  if (from === 'half_open' && to === 'closed') return 'close';
  if (from === 'half_open' && to === 'open') return 'reopen';
  if (from === 'closed' && to === 'open') return 'trip';
  if (before.override !== null && after.override === null) return 'override_expired';
  return 'resync';
}
