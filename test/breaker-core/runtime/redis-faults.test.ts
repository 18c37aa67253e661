import {
  type ClusterBreaker,
  createClusterBreaker,
  type ProbeLease,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { PodProcess } from './pod-process.js';
import { waitUntil } from './wait-until.js';

/** Real faults: SIGKILL and SIGSTOP a redis-server this test started; SIGKILL a pod process. */

const open: ClusterBreaker[] = [];
const processes: PodProcess[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  await Promise.all(processes.splice(0).map((p) => p.close()));
});

async function pods(url: string, count: number, config: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const made: ClusterBreaker[] = [];
  for (let i = 0; i < count; i++) {
    made.push(
      await createClusterBreaker({
        name: 'pusher',
        redis: url,
        podId: `pod-${i}`,
        config,
        commandTimeoutMs: 200,
        ...extra,
      }),
    );
  }
  open.push(...made);
  return made;
}

describe('Redis killed during a pusher outage', () => {
  it('pods keep answering, trip on their own failures, and converge on the shared state when Redis returns', async () => {
    const server = await startRedis();
    const fleet = await pods(server.url, 5, { failureThreshold: 20, cooldownMs: 60_000 });
    const degraded: string[] = [];
    const recovered: number[] = [];
    for (const b of fleet) {
      b.onStoreDegraded(() => degraded.push(b.podId));
      b.onStoreRecovered((e) => recovered.push(e.replayed.failures));
    }

    await server.kill();
    // Pusher is failing too: every pod sees its own 20 failures while Redis is gone.
    for (const b of fleet) {
      expect(b.allow()).toBe(true);
      for (let i = 0; i < 20; i++) b.recordFailure();
    }
    await waitUntil(() => fleet.every((b) => b.source === 'local' && b.state === 'open'), {
      what: 'every pod tripped on its local breaker',
    });
    for (const b of fleet) {
      expect(b.allow()).toBe(false);
      expect(await b.acquireProbe()).toBeNull(); // still cooling down, locally
    }
    expect(new Set(degraded).size).toBe(5);

    await server.restart(); // same port, empty: the shared breaker is gone
    await waitUntil(() => fleet.every((b) => b.source === 'shared'), { what: 'every pod rejoined' });
    await waitUntil(
      () => new Set(fleet.map((b) => `${b.state}@${b.generation}`)).size === 1 && fleet[0]?.state === 'open',
      { what: 'all pods on the same shared state' },
    );
    // What they counted while apart reached Redis: 5 pods × 20 failures, in the shared window.
    expect(recovered).toEqual([20, 20, 20, 20, 20]);
    const client = new Redis(server.url);
    try {
      expect((await new RedisBreakerStore({ client }).snapshot('pusher')).window.failures).toBe(100);
    } finally {
      client.disconnect();
    }
  });
});

describe('a pod started while Redis is down', () => {
  it('registers and joins the shared state once Redis returns, then follows a trip made by another pod', async () => {
    const server = await startRedis();
    await server.kill();
    const config = { failureThreshold: 5, cooldownMs: 60_000 };
    const [late] = await pods(server.url, 1, config, { podId: 'pod-late', startTimeoutMs: 200 });
    if (!late) throw new Error('no breaker');
    expect(late.source).toBe('local');
    expect(late.allow()).toBe(true);

    await server.restart();
    await waitUntil(() => late.source === 'shared', { what: 'the late pod joined the shared state' });
    const [other] = await pods(server.url, 1, config, { podId: 'pod-other' });
    if (!other) throw new Error('no breaker');
    for (let i = 0; i < 5; i++) other.recordFailure();
    await waitUntil(() => late.state === 'open', { what: 'the late pod sees the trip' });
    expect(late.generation).toBe(other.generation);
  });
});

describe('Redis stalled (SIGSTOP)', () => {
  it('no call waits on Redis, the pod falls back, the client queue stays bounded, and it rejoins on resume', async () => {
    const server = await startRedis();
    const [b] = await pods(server.url, 1, { failureThreshold: 20 });
    if (!b) throw new Error('no breaker');
    await server.pause();
    try {
      // These all settle while Redis is still frozen: none of them waits on it.
      expect(b.allow()).toBe(true);
      for (let i = 0; i < 25; i++) b.recordFailure();
      expect(await b.execute(async () => 'ok')).toBe('ok');
      expect(await b.acquireProbe()).toBeNull();
      await waitUntil(() => b.source === 'local', { what: 'fallback to the local breaker' });
      await waitUntil(() => b.state === 'open', { what: 'local trip' });
      // Many flush and resync intervals pass; nothing piles up in the Redis client.
      let maxQueued = 0;
      for (let i = 0; i < 30; i++) {
        maxQueued = Math.max(maxQueued, b.diagnostics().redisPendingCommands);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(maxQueued).toBeLessThanOrEqual(2);
    } finally {
      await server.resume();
    }
    await waitUntil(() => b.source === 'shared', { what: 'rejoin after resume' });
    expect(b.state).toBe('open'); // the 25 failures counted apart were sent on return and trip the shared breaker
  });
});

describe('the probe holder dies mid-probe', () => {
  it('another pod gets the lease once it expires', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 500, probeLeaseMs: 1_000 };
    const options = { name: 'pusher', redis: server.url, config };
    const holder = await PodProcess.start();
    processes.push(holder);
    await holder.create(1, 'doomed', options);
    const [survivor] = await pods(server.url, 1, config);
    if (!survivor) throw new Error('no breaker');

    for (let i = 0; i < 5; i++) survivor.recordFailure();
    await waitUntil(() => survivor.state === 'half_open', { what: 'half-open after the cooldown' });
    const lease = await holder.acquireProbe(0);
    expect(lease?.holder).toBe('doomed-0');
    holder.kill(); // SIGKILL while it "probes": it will never report

    expect(await survivor.acquireProbe()).toBeNull(); // held by the dead pod, for now
    let mine: ProbeLease | null = null;
    await waitUntil(
      async () => {
        mine = await survivor.acquireProbe();
        return mine !== null;
      },
      { what: 'lease free after expiry' },
    );
    expect(mine).toMatchObject({ holder: 'pod-0', generation: (lease as ProbeLease).generation });
    expect(await survivor.reportProbe(mine as unknown as ProbeLease, 'success')).toBe(true);
    await waitUntil(() => survivor.state === 'closed', { what: 'closed after the new probe' });
  });
});
