import {
  type ClusterBreaker,
  type ClusterBreakerOptions,
  createClusterBreaker,
  type ProbeLease,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * One probe per pod on a real Redis: Redis grants a pod's live lease to the
 * same pod again when it asks twice; the ClusterBreaker does not, until the
 * lease is reported or has expired.
 */

const open: ClusterBreaker[] = [];
const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  for (const c of clients.splice(0)) c.disconnect();
});

async function pod(options: ClusterBreakerOptions): Promise<ClusterBreaker> {
  const b = await createClusterBreaker(options);
  open.push(b);
  return b;
}

function must(lease: ProbeLease | null): ProbeLease {
  if (!lease) throw new Error('no lease');
  return lease;
}

describe('the probe lease, per pod', () => {
  it('is granted to a pod once: asked again by it (at once or later) it is null until reported', async () => {
    const server = await startRedis();
    // A lease far longer than the test, and a generous deadline: only a report can free it here.
    const config = { failureThreshold: 1, cooldownMs: 300, probeLeaseMs: 60_000 };
    const options = { name: 'pusher', redis: server.url, config, commandTimeoutMs: 2_000 };
    const a = await pod({ ...options, podId: 'pod-a' });
    const b = await pod({ ...options, podId: 'pod-b' });
    a.recordFailure();
    await waitUntil(() => a.state === 'half_open' && b.state === 'half_open', { what: 'both pods half-open' });

    // Two sessions of pod-a ask at once, then a third later: one lease between them.
    const first = await Promise.all([a.acquireProbe(), a.acquireProbe()]);
    const lease = must(first.find((l) => l !== null) ?? null);
    expect(first.filter((l) => l !== null)).toHaveLength(1);
    expect(await a.acquireProbe()).toBeNull();
    expect(await b.acquireProbe()).toBeNull(); // the cluster-wide rule: another pod holds it
    // Redis itself hands the holder its lease again: the pod is what says no.
    const admin = new Redis(server.url);
    clients.push(admin);
    const direct = await new RedisBreakerStore({ client: admin }).acquireProbe('pusher', 'pod-a');
    expect(direct).toMatchObject({ granted: true, lease: { token: lease.token } });

    expect(await a.reportProbe(lease, 'failure')).toBe(true);
    await waitUntil(() => a.state === 'half_open', { what: 'half-open again after the next cooldown' });
    const next = must(await a.acquireProbe());
    expect(next.generation).toBeGreaterThan(lease.generation);
  });

  it('is granted to the pod again once its unreported lease has expired on Redis time', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 1, cooldownMs: 300, probeLeaseMs: 500 };
    const a = await pod({ name: 'pusher', redis: server.url, config, commandTimeoutMs: 2_000, podId: 'pod-a' });
    a.recordFailure();
    await waitUntil(() => a.state === 'half_open', { what: 'half-open' });
    const lease = must(await a.acquireProbe()); // never reported: its session died
    let next: ProbeLease | null = null;
    await waitUntil(
      async () => {
        next = await a.acquireProbe();
        return next !== null;
      },
      { what: 'a new lease once the first expired' },
    );
    const granted = must(next);
    expect(granted.token).not.toBe(lease.token);
    expect(granted.generation).toBe(lease.generation);
    expect(granted.expiresAt).toBeGreaterThanOrEqual(lease.expiresAt);
  });
});
