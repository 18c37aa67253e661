import { type ClusterBreaker, createClusterBreaker, MemoryBreakerStore } from '@breakwater/breaker-core';
import { afterEach, describe, expect, it } from 'vitest';
import { harness } from '../testing/session-harness.js';
import { isSessionBreaker, type SessionBreaker } from './session-breaker.js';

// The session is written against the subset of ClusterBreaker it uses; the real
// one must satisfy it, structurally (checked by the typecheck) and at run time.
const structural: (b: ClusterBreaker) => SessionBreaker = (b) => b;

let breaker: ClusterBreaker | undefined;
afterEach(async () => {
  await breaker?.close();
});

describe('SessionBreaker', () => {
  it('is satisfied by the real ClusterBreaker, which gates the session', async () => {
    const store = new MemoryBreakerStore();
    breaker = await createClusterBreaker({ name: 'pusher', store, podId: 'pod-a' });
    expect(isSessionBreaker(structural(breaker))).toBe(true);
    await store.forceOpen('pusher', { actor: 'test', reason: 'pusher is down', ttlMs: 60_000 });
    const opened = new Promise<void>((resolve) => {
      if (breaker?.state === 'forced_open') resolve();
      const sub = breaker?.onStateChange((e) => {
        if (e.to === 'forced_open') {
          sub?.dispose();
          resolve();
        }
      });
    });
    await opened;
    const h = harness({ breaker: breaker as never });
    await h.session.start();
    expect(h.dialer.dials).toHaveLength(0);
    expect(h.session.state).toBe('degraded');
    await h.session.close();
  });

  it('rejects what is not a breaker', () => {
    expect(isSessionBreaker({ allow: () => true })).toBe(false);
    expect(isSessionBreaker(null)).toBe(false);
  });
});
