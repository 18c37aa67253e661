import {
  type ClusterBreaker,
  createClusterBreaker,
  type ProbeLease,
  RedisBreakerStore,
} from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';
import { PodProcess } from './pod-process.js';

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
  it('calls that reach Redis end at the command timeout, the pod falls back, no queue grows, it rejoins on resume', async () => {
    const server = await startRedis();
    const registry = new Registry();
    const [b] = await pods(server.url, 1, { failureThreshold: 5, cooldownMs: 300 }, { registry });
    if (!b) throw new Error('no breaker');
    // Half-open first: then acquireProbe() really asks Redis (closed-state calls never touch it).
    for (let i = 0; i < 5; i++) b.recordFailure();
    await waitUntil(() => b.state === 'half_open', { what: 'half-open after the cooldown' });
    expect(b.source).toBe('shared');
    // Sessions keep failing throughout: flushes keep coming.
    const sessions = setInterval(() => {
      for (let i = 0; i < 10; i++) b.recordFailure();
    }, 5);
    let maxCommands = 0;
    let maxSubscriber = 0;
    await server.pause();
    try {
      const lease = await b.acquireProbe(); // settles although Redis never answers
      expect(b.source).toBe('local');
      // Fell back while half-open: open locally for a cooldown of its own, no lease beside a shared one.
      expect(lease).toBeNull();
      expect(b.allow()).toBe(false);
      // Many flush and resync intervals pass while Redis is frozen.
      for (let i = 0; i < 30; i++) {
        const d = b.diagnostics();
        maxCommands = Math.max(maxCommands, d.redisPendingCommands);
        maxSubscriber = Math.max(maxSubscriber, d.subscriberPendingCommands);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await server.resume();
      clearInterval(sessions);
    }
    expect(maxCommands).toBeLessThanOrEqual(2); // at most the reconnect's ready check and one call
    expect(maxSubscriber).toBeLessThanOrEqual(1);
    // acquireProbe() settled while Redis was still frozen, and what ended the shared calls was the
    // pod's own deadline (kind="timeout"), not a socket closing: no call waited for Redis.
    expect(await metricValue(registry, 'breakwater_breaker_store_errors_total', { kind: 'timeout' })).toBeGreaterThan(
      0,
    );

    await waitUntil(() => b.source === 'shared', { what: 'rejoin after resume' });
    const client = new Redis(server.url);
    try {
      // Still half-open in Redis: failures counted apart are replayed, but only a probe decides half-open.
      expect((await new RedisBreakerStore({ client }).snapshot('pusher')).state).toBe('half_open');
      expect(b.state).toBe('half_open');
    } finally {
      client.disconnect();
    }
  });
});

/**
 * The sum of a metric's series that carry `labels`. For a histogram say which
 * part: `bucket` (with `le` among the labels) or `count`.
 */
async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string | number>,
  part?: 'bucket' | 'count',
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const series = part === undefined ? undefined : `${name}_${part}`;
  const { values } = await metric.get();
  return values
    .filter((v) => (v as { metricName?: string }).metricName === series)
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((n, v) => n + v.value, 0);
}

describe('the probe holder dies mid-probe', () => {
  it('another pod gets the lease once it expires', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 500, probeLeaseMs: 1_000 };
    // This test is about the lease, not the fallback: a generous deadline, so a loaded
    // machine cannot send a pod to its local breaker (where it would get a local lease).
    const commandTimeoutMs = 2_000;
    const options = { name: 'pusher', redis: server.url, config, commandTimeoutMs };
    const holder = await PodProcess.start();
    processes.push(holder);
    await holder.create(1, 'doomed', options);
    const [survivor] = await pods(server.url, 1, config, { commandTimeoutMs });
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
