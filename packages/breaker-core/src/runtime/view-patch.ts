import type { BreakerSnapshot, BreakerTransition, OverrideMode } from '../state/breaker-state.js';
import { cooldownFor } from '../state/cooldown.js';
import { MAX_OVERRIDE_TTL_MS } from '../store/store-input.js';

/**
 * The view after a published transition, before the full snapshot arrives.
 *
 * A pod acts on a pub/sub transition at once and re-reads the snapshot right
 * after. If that re-read fails, the pod falls back to a local breaker restored
 * from its view, so the view must already say what the transition said: a
 * stale view would take an open pod back to closed. What the message carries
 * (state, generation, time, actor, reason) is applied as the rules would
 * (state/rules.ts); the cooldown is recomputed exactly (cooldownFor is
 * deterministic in generation and time). The one thing a message does not
 * carry is an override's expiry: until the snapshot says, it is taken as the
 * longest an override may last, so a fallback never lifts a force-open early.
 */
export function patchView(view: BreakerSnapshot, t: BreakerTransition): BreakerSnapshot {
  // Every transition fences the probe lease. A message of another incarnation starts from the
  // old life's view: what it does not carry (window, escalation) comes with the resync after it.
  const incarnation = t.incarnation ?? view.incarnation;
  const base: BreakerSnapshot = {
    ...view,
    state: t.state,
    generation: t.generation,
    incarnation,
    probe: null,
    at: t.at,
  };
  switch (t.action) {
    case 'trip':
    case 'reopen': {
      const probeFailures = t.action === 'reopen' ? view.probeFailures + 1 : view.probeFailures;
      return {
        ...base,
        automaticState: 'open',
        openedAt: t.at,
        cooldownUntil: t.at + cooldownFor(view.config, probeFailures, t.generation, t.at),
        probeFailures,
        halfOpenSuccesses: 0,
      };
    }
    case 'half_open':
      return { ...base, automaticState: 'half_open', cooldownUntil: null, halfOpenSuccesses: 0 };
    case 'close':
    case 'reset':
      return {
        ...base,
        automaticState: 'closed',
        openedAt: null,
        cooldownUntil: null,
        probeFailures: 0,
        halfOpenSuccesses: 0,
        window: { failures: 0, successes: 0, failingPods: 0 },
      };
    case 'force_open':
    case 'force_close': {
      const mode: OverrideMode = t.action === 'force_open' ? 'forced_open' : 'forced_closed';
      // The message says when the override ends; a store that does not say is held to the longest TTL.
      const expiresAt = t.overrideExpiresAt ?? t.at + MAX_OVERRIDE_TTL_MS;
      const override = { mode, reason: t.reason, actor: t.actor, setAt: t.at, expiresAt };
      return { ...base, override };
    }
    case 'clear_override':
    case 'override_expired':
      // No override any more: what callers obey is the automatic state.
      return t.state === 'forced_open' || t.state === 'forced_closed'
        ? base
        : { ...base, override: null, automaticState: t.state };
    case 'config_update':
      return base; // the new rules come with the snapshot
  }
}
