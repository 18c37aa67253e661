import { describe, expect, it } from 'vitest';
import { MemoryBreakerStore } from './memory-store.js';

/** What only the memory store has: restore() (the pod runtime's fallback). The shared rules are in test/. */
describe('MemoryBreakerStore.restore', () => {
  it('gives the restored breaker new lease tokens: a lease granted before the restore is refused', async () => {
    let now = 1_800_000_000_000;
    const store = new MemoryBreakerStore({ clock: () => now });
    await store.register('pusher', { failureThreshold: 1, cooldownMs: 1_000, probeLeaseMs: 60_000 });
    await store.record('pusher', 'pod-a', { failures: 1, successes: 0 });
    now += 1_000;
    const halfOpen = await store.snapshot('pusher');
    const before = await store.acquireProbe('pusher', 'pod-a');
    if (!before.granted) throw new Error('expected a lease');

    store.restore(halfOpen); // same generation, lease sequence back to 0
    const after = await store.acquireProbe('pusher', 'pod-b');
    if (!after.granted) throw new Error('expected a lease after the restore');
    expect(after.lease.generation).toBe(before.lease.generation);
    expect(after.lease.token).not.toBe(before.lease.token);
    expect(await store.reportProbe(before.lease, 'success')).toMatchObject({ accepted: false, reason: 'stale' });
    expect((await store.reportProbe(after.lease, 'success')).snapshot.state).toBe('closed');
  });
});
