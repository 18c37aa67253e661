import {
  type ClusterBreaker,
  createClusterBreaker,
  MemoryBreakerStore,
  type ProbeLease,
} from '@breakwater/breaker-core';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
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

// The lease contract sessions are written against: a pod's sessions may all ask,
// the pod gets at most one lease until it is reported or expires. The session tests
// run on FakeBreaker, so FakeBreaker must keep it too.
describe('SessionBreaker.acquireProbe(): at most one lease per pod (FakeBreaker)', () => {
  function halfOpen() {
    const breaker = new FakeBreaker();
    breaker.set('half_open');
    return breaker;
  }

  it('sessions asking at once: one lease', async () => {
    const breaker = halfOpen();
    const leases = await Promise.all([breaker.acquireProbe(), breaker.acquireProbe(), breaker.acquireProbe()]);
    expect(leases.filter((l) => l !== null)).toHaveLength(1);
  });

  it('none while the granted lease is neither reported nor expired; one again after either', async () => {
    const breaker = halfOpen();
    const first = await breaker.acquireProbe();
    expect(first).not.toBeNull();
    expect(await breaker.acquireProbe()).toBeNull();
    expect(await breaker.reportProbe(first as ProbeLease, 'failure')).toBe(true);
    const second = await breaker.acquireProbe();
    expect(second).not.toBeNull();
    expect(second?.token).not.toBe(first?.token);
    expect(await breaker.acquireProbe()).toBeNull();
    breaker.expireLease();
    expect(await breaker.acquireProbe()).not.toBeNull();
  });

  it('a report under a lease that is no longer held is refused', async () => {
    const breaker = halfOpen();
    const lease = (await breaker.acquireProbe()) as ProbeLease;
    breaker.set('open');
    expect(await breaker.reportProbe(lease, 'success')).toBe(false);
  });
});
