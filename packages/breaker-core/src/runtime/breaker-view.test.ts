import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BreakerSnapshot, BreakerTransition } from '../state/breaker-state.js';
import { MemoryBreakerStore } from '../store/memory-store.js';
import { BreakerView } from './breaker-view.js';

/**
 * The view's bookkeeping with fake timers: which snapshots it takes, what a
 * heard transition changes, the offset from the store's clock, and when it
 * asks for a re-read (periodically, at the end of the cooldown on the store's
 * clock, one at a time).
 */

const T0 = 1_800_000_000_000;
let snap: BreakerSnapshot;

beforeEach(async () => {
  vi.useFakeTimers({ now: T0 });
  const store = new MemoryBreakerStore({ clock: () => Date.now() });
  snap = (await store.register('pusher', { cooldownMs: 10_000 })).snapshot;
});
afterEach(() => {
  vi.useRealTimers();
});

const at = (generation: number, extra: Partial<BreakerSnapshot> = {}): BreakerSnapshot => ({
  ...snap,
  generation,
  ...extra,
});

/** A force-open at generation 5, as published. */
const transition: BreakerTransition = {
  name: 'pusher',
  action: 'force_open',
  from: 'closed',
  to: 'forced_open',
  state: 'forced_open',
  generation: 5,
  at: T0,
  actor: 'sre',
  reason: 'drill',
  overrideExpiresAt: T0 + 60_000,
};

describe('BreakerView', () => {
  it('takes a reply unless a newer generation was heard after its call was sent; a state to adopt always', () => {
    const view = new BreakerView(at(3), 'shared', () => Date.now(), vi.fn());
    const early = view.send(); // sent while the view is at generation 3
    const later = view.send();
    expect(view.take(at(4, { state: 'open' }), 'shared', later)).toBe(true);
    expect(view.take(at(3), 'shared', early)).toBe(false); // generation 4 came after it was sent: older news
    expect(view.take(at(4, { state: 'open' }), 'shared', early)).toBe(true); // the same generation is not older
    // The store went back within the same incarnation (restarted from an older RDB, a failover to a replica
    // that was behind): a call sent now is answered at generation 2, and the store's word stands.
    const next = view.send();
    expect(view.take(at(2, { state: 'closed' }), 'shared', next)).toBe(true);
    expect([view.generation, view.view.state]).toEqual([2, 'closed']);
    expect(view.take(at(1, { state: 'closed' }), 'local', null)).toBe(true); // a fallback, a rejoin
    expect([view.generation, view.view.state, view.known.state]).toEqual([1, 'closed', 'closed']);
    for (const call of [early, later, next]) view.done(call);
  });

  it('orders generations within one incarnation only: a snapshot of another life replaces the view', () => {
    const view = new BreakerView(at(3, { incarnation: 'old' }), 'shared', () => Date.now(), vi.fn());
    const [a, b, c] = [view.send(), view.send(), view.send()];
    // Redis lost the breaker; another pod re-created it (generation 0) and its replay re-tripped it.
    expect(view.take(at(1, { incarnation: 'new', state: 'open' }), 'shared', a)).toBe(true);
    expect([view.generation, view.view.state, view.view.incarnation]).toEqual([1, 'open', 'new']);
    expect(view.take(at(0, { incarnation: 'new' }), 'shared', b)).toBe(false); // within the new life, ordered
    expect(view.take(at(3, { incarnation: 'old' }), 'shared', c)).toBe(false); // the old life, after the new was heard
  });

  it('keeps the store’s clock offset from shared replies only, and the view’s age on the pod’s clock', () => {
    const view = new BreakerView(at(0, { at: T0 + 5_000 }), 'shared', () => Date.now(), vi.fn());
    expect(view.offsetMs).toBe(5_000);
    vi.advanceTimersByTime(700);
    expect(view.viewAge).toBe(700);
    view.take(at(0, { at: T0 + 9_000 }), 'local', null); // the local breaker runs on the pod's clock
    expect(view.offsetMs).toBe(0);
    expect(view.viewAge).toBe(700); // the local breaker's word confirms nothing about the shared one
    view.take(at(0, { at: T0 + 700 - 2_000 }), 'shared', null);
    expect(view.offsetMs).toBe(-2_000);
    expect(view.viewAge).toBe(0);
  });

  it('counts a shared reply it drops (it had heard newer since the call was sent) as confirming the view', () => {
    const view = new BreakerView(at(3), 'shared', () => Date.now(), vi.fn());
    const call = view.send();
    view.hear({ ...transition, generation: 4 });
    vi.advanceTimersByTime(900);
    expect(view.take(at(3), 'shared', call)).toBe(false);
    expect([view.viewAge, view.generation]).toEqual([0, 4]);
  });

  it('acts on a newer transition heard at once, in `known`; the full snapshot waits for the re-read', () => {
    const view = new BreakerView(at(4), 'shared', () => Date.now(), vi.fn());
    const t = transition;
    const call = view.send();
    expect(view.hear({ ...t, generation: 4 })).toBeNull();
    expect(view.hear(t)?.state).toBe('forced_open');
    expect([view.generation, view.known.state, view.view.state]).toEqual([5, 'forced_open', 'closed']);
    expect(view.take(at(4), 'shared', call)).toBe(false); // a reply to a call sent before cannot undo it
    // A breaker re-created after the store lost it: generation 1 of another incarnation is news.
    expect(view.hear({ ...t, generation: 1, incarnation: 'reborn' })?.incarnation).toBe('reborn');
    expect([view.generation, view.known.state]).toEqual([1, 'forced_open']);
    expect(view.hear({ ...t, generation: 1, incarnation: 'reborn' })).toBeNull(); // within it, ordered again
  });

  it('asks for a re-read when the cooldown ends on the store’s clock, and says when it is over', async () => {
    const refresh = vi.fn(async () => {});
    // The store's clock is 3 s ahead: its cooldown, ending at T0 + 10 s there, ends at T0 + 7 s here.
    const open = at(1, { state: 'open', automaticState: 'open', cooldownUntil: T0 + 10_000, at: T0 + 3_000 });
    const view = new BreakerView(open, 'shared', () => Date.now(), refresh);
    view.start(60_000, 60_000);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(view.cooldownOver).toBe(false);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2);
    expect(view.cooldownOver).toBe(true);
    expect(refresh).toHaveBeenCalledExactlyOnceWith('resync');
    view.stop();
  });

  it('abandons a re-read that runs past its deadline and starts another: no guard stays stuck', async () => {
    const stuck = new Promise<void>(() => {}); // a store that lost the promise, a bug: it never ends
    const refresh = vi.fn((): Promise<void> => (refresh.mock.calls.length === 1 ? stuck : Promise.resolve()));
    const view = new BreakerView(at(0), 'shared', () => Date.now(), refresh);
    view.start(1_000, 2_500);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000); // 2 s in flight: under its deadline, folded
    expect(refresh).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1_000); // 3 s: abandoned, a new one runs
    expect(refresh).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(refresh).toHaveBeenCalledTimes(3); // and the periodic re-read goes on
    expect(view.refreshing).toBeUndefined();
    view.stop();
  });

  it('re-reads periodically, one at a time: a request meanwhile runs once after it; none after stop()', async () => {
    let finish: () => void = () => {};
    const refresh = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const view = new BreakerView(at(0), 'shared', () => Date.now(), refresh);
    view.start(1_000, 60_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(refresh).toHaveBeenCalledTimes(1);
    const running = view.refreshing;
    void view.refresh('trip');
    void view.refresh('trip');
    await vi.advanceTimersByTimeAsync(1_000); // the periodic one too is folded in
    expect(refresh).toHaveBeenCalledTimes(1);
    finish();
    await running;
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledTimes(2); // the one rerun
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(view.refreshing).toBeUndefined();
    view.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    await view.refresh('trip');
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('after a transition heard while a re-read runs, re-reads again only if that reply did not cover it', async () => {
    let reply: BreakerSnapshot | undefined;
    let finish: () => void = () => {};
    const refresh = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          const call = view.send();
          finish = () => {
            if (reply) view.take(reply, 'shared', call);
            view.done(call);
            resolve();
          };
        }),
    );
    const view: BreakerView = new BreakerView(at(1), 'shared', () => Date.now(), refresh);
    const half = { ...transition, action: 'half_open' as const, to: 'half_open' as const, state: 'half_open' as const };

    // The pod's own re-read (the cooldown ended) is in flight when another pod's half_open arrives;
    // its reply is that very generation: the full snapshot is known, no second re-read.
    void view.refresh('resync');
    expect(view.hear({ ...half, generation: 2 })?.state).toBe('half_open');
    void view.refreshHeard('half_open');
    reply = at(2, { state: 'half_open', automaticState: 'half_open' });
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(view.refreshing).toBeUndefined();

    // Its reply is older than what was heard (read before the transition): one more re-read.
    void view.refresh('resync');
    expect(view.hear({ ...half, generation: 4 })?.generation).toBe(4);
    void view.refreshHeard('half_open');
    reply = at(3);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(refresh).toHaveBeenCalledTimes(3);
    reply = at(4, { state: 'half_open', automaticState: 'half_open' });
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(view.view.generation).toBe(4);

    // No re-read running: a heard transition is re-read at once, as before.
    expect(view.hear({ ...half, generation: 5 })?.generation).toBe(5);
    void view.refreshHeard('half_open');
    expect(refresh).toHaveBeenCalledTimes(4);
    reply = at(5);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    view.stop();
  });
});
