import { describe, expect, it } from 'vitest';
import type { BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import { MemoryBreakerStore } from '../store/memory-store.js';
import { patchView } from './view-patch.js';

/**
 * patchView() against the real rules: each step runs on a MemoryBreakerStore,
 * and the view patched from the published transition must match the snapshot
 * read afterwards in every field a fallback restores from.
 */

const CONFIG = { failureThreshold: 2, cooldownMs: 5_000, cooldownMultiplier: 2, cooldownJitter: 0.5 };
const actor = { actor: 'sre', reason: 'drill' };

function restored(s: BreakerSnapshot) {
  const { state, automaticState, generation, openedAt, cooldownUntil, probeFailures, halfOpenSuccesses, probe } = s;
  const { override } = s;
  return {
    state,
    automaticState,
    generation,
    openedAt,
    cooldownUntil,
    probeFailures,
    halfOpenSuccesses,
    probe,
    override,
  };
}

describe('patchView', () => {
  it('turns the previous snapshot into the next one, transition by transition', async () => {
    let now = 1_800_000_000_000;
    const store = new MemoryBreakerStore({ clock: () => now });
    await store.register('p', CONFIG);
    const published: BreakerTransition[] = [];
    await store.subscribe('p', (t) => published.push(t));
    let view = await store.snapshot('p');

    const step = async (what: string, run: () => Promise<unknown>) => {
      published.length = 0;
      await run();
      await Promise.resolve(); // the memory store publishes on a microtask
      for (const t of published) view = patchView(view, t);
      const truth = await store.snapshot('p');
      expect(restored(view), what).toEqual(restored(truth));
      expect(view.override === null, what).toBe(truth.override === null);
      if (truth.override) expect(view.override?.mode, what).toBe(truth.override.mode);
    };

    await step('trip', () => store.record('p', 'pod-a', { failures: 2, successes: 0 }));
    now += 7_500; // cooldown 5 s plus at most 50 % jitter
    await step('half_open', () => store.snapshot('p'));
    const lease = await store.acquireProbe('p', 'pod-a');
    if (!lease.granted) throw new Error('no lease');
    view = lease.snapshot;
    await step('reopen (escalated, jittered cooldown)', () => store.reportProbe(lease.lease, 'failure'));
    await step('force_open', () => store.forceOpen('p', { ...actor, ttlMs: 60_000 }));
    await step('clear_override', () => store.clearOverride('p', actor));
    await step('force_close', () => store.forceClose('p', { ...actor, ttlMs: 1_000 }));
    now += 1_000;
    await step('override_expired', () => store.snapshot('p'));
    await step('reset', () => store.reset('p', actor));
    expect(view.state).toBe('closed');
  });

  it("takes an override's end from the message; without one, holds it as long as any override could last", () => {
    const at = 1_800_000_000_000;
    const view = { state: 'closed', override: null, generation: 4 } as unknown as BreakerSnapshot;
    const t: BreakerTransition = {
      name: 'p',
      action: 'force_close',
      from: 'closed',
      to: 'forced_closed',
      state: 'forced_closed',
      generation: 5,
      at,
      actor: 'sre',
      reason: 'drill',
      overrideExpiresAt: at + 900_000,
    };
    const patched = patchView(view, t);
    expect(patched).toMatchObject({ state: 'forced_closed', generation: 5, override: { mode: 'forced_closed' } });
    expect(patched.override?.expiresAt).toBe(at + 900_000);
    expect(patchView(view, { ...t, overrideExpiresAt: null }).override?.expiresAt).toBe(at + 86_400_000);
  });
});
