import { type BreakerSnapshot, MemoryBreakerStore } from '@breakwater/breaker-core';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BreakerFeed, type FeedListener, type LiveTransition } from './breaker-feed.js';

const actor = { actor: 'olga', reason: 'test' };

function listener(name?: string) {
  const got: string[] = [];
  const transitions: LiveTransition[] = [];
  const l: FeedListener = {
    name,
    transition: (e) => {
      transitions.push(e);
      got.push(`transition ${e.transition.name} ${e.transition.generation}`);
    },
    snapshot: (s: BreakerSnapshot) => got.push(`snapshot ${s.name}`),
    removed: (n) => got.push(`removed ${n}`),
  };
  return { l, got, transitions };
}

async function setup() {
  const store = new MemoryBreakerStore();
  await store.register('pusher');
  await store.register('billing');
  const reads: string[] = [];
  const snapshot = store.snapshot.bind(store);
  store.snapshot = (name: string) => {
    reads.push(name);
    return snapshot(name);
  };
  const feed = new BreakerFeed({ store, maxBreakers: 500, registryScanMs: 1_000, log: pino({ level: 'silent' }) });
  return { store, feed, reads };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('BreakerFeed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads a breaker once for a burst of transitions, and delivers them in publish order', async () => {
    const { store, feed, reads } = await setup();
    const { l, got, transitions } = listener();
    expect(await feed.attach(l)).toEqual({ names: ['billing', 'pusher'], truncated: false });
    // A burst: four calls made together (each publishes on a microtask, like messages arriving in one read).
    await Promise.all([
      store.forceOpen('pusher', { ...actor, ttlMs: 60_000 }),
      store.reset('pusher', actor),
      store.reset('billing', actor),
      store.clearOverride('pusher', actor),
    ]);
    await settle();
    expect(got).toEqual(['transition pusher 1', 'transition pusher 2', 'transition billing 1', 'transition pusher 3']);
    // Four transitions, two breakers, one read each.
    expect(reads.sort()).toEqual(['billing', 'pusher']);
    // Every transition of the burst carries the snapshot read after all of them.
    expect(transitions.filter((t) => t.transition.name === 'pusher').map((t) => t.snapshot?.generation)).toEqual([
      3, 3, 3,
    ]);
    feed.close();
  });

  it('a ?name= listener gets its breaker only', async () => {
    const { store, feed } = await setup();
    const { l, got } = listener('billing');
    expect(await feed.attach(l)).toEqual({ names: ['billing'], truncated: false });
    await store.reset('pusher', actor);
    await store.reset('billing', actor);
    await settle();
    expect(got).toEqual(['transition billing 1']);
    feed.detach(l);
    await store.reset('billing', actor);
    await settle();
    expect(got).toEqual(['transition billing 1']);
    feed.close();
  });

  it('picks up a new breaker on the next registry scan with a snapshot, and reports a vanished one', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, feed } = await setup();
    const { l, got } = listener();
    await feed.attach(l);
    await store.register('ramp');
    vi.advanceTimersByTime(1_000);
    await vi.waitFor(() => expect(got).toEqual(['snapshot ramp']));
    await store.reset('ramp', actor);
    await vi.waitFor(() => expect(got).toEqual(['snapshot ramp', 'transition ramp 1']));

    const list = store.list.bind(store);
    store.list = async () => (await list()).filter((n) => n !== 'billing');
    vi.advanceTimersByTime(1_000);
    await vi.waitFor(() => expect(got.at(-1)).toBe('removed billing'));
    await store.reset('billing', actor);
    await settle();
    expect(got.at(-1)).toBe('removed billing');
    feed.close();
  });

  it('bounds an every-breaker listener to the first maxBreakers names and says so', async () => {
    const { store } = await setup();
    const feed = new BreakerFeed({ store, maxBreakers: 1, registryScanMs: 1_000, log: pino({ level: 'silent' }) });
    const { l, got } = listener();
    expect(await feed.attach(l)).toEqual({ names: ['billing'], truncated: true });
    await store.reset('pusher', actor);
    await store.reset('billing', actor);
    await settle();
    expect(got).toEqual(['transition billing 1']);
    feed.close();
  });
});
