import { type ClusterBreaker, createClusterBreaker } from '@breakwater/breaker-core';
import { breakerKeys } from '@breakwater/breaker-core/internal';
import { PodProxy } from '@breakwater/chaos';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, type RedisServer, startRedisCluster } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';

/**
 * Pods on a Redis Cluster with replicas (3 masters + 3 replicas), each with its own
 * connections through its own TCP proxy, as in `pnpm chaos`, through the campaign's faults:
 * the breaker's master SIGSTOPped then SIGCONTed, a pod's path blackholed or reset then
 * healed, the master SIGKILLed (a replica promoted) and restarted empty. One cluster for
 * the file; the tests run in order.
 *
 * What is checked is the order of events on each pod's own command connection (the Cluster
 * the breaker duplicates from the one it is given, observed through its status events)
 * and the breaker's events, never durations: a pod whose connection reached Redis again
 * (`connect`: the slot map read) is `ready` at once, with no reconnect in between, and so
 * rejoins on the first `ready` after a heal. Before the fix ioredis's ready check failed on
 * about half of the connects (it went to a replica whose connection was still opening), each
 * failure a whole reconnect on a doubling backoff: pods sat on their fallback for seconds
 * while their Redis answered.
 */

const NAME = 'pusher';
const STATE_KEY = breakerKeys('bw', NAME).state;
const CONFIG = { failureThreshold: 1_000, minFailureRatio: 0, cooldownMs: 60_000 };
const STATUSES = ['connecting', 'connect', 'ready', 'disconnecting', 'close', 'reconnecting', 'end'] as const;

interface Pod {
  readonly breaker: ClusterBreaker;
  readonly proxy: PodProxy;
  /** The breaker's command connection and its subscriber connection (its two duplicates). */
  readonly command: Cluster;
  readonly subscriber: Cluster;
  /** In order: the command connection's statuses, the breaker's `degraded` / `rejoined`, the test's marks. */
  readonly log: string[];
}

let cluster: RedisCluster;
const pods: Pod[] = [];
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  process.on('warning', onWarning);
  // A SIGSTOP shorter than the node timeout: no failover while the pods wait on a paused master.
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5_000 });
  for (let i = 0; i < 3; i++) pods.push(await startPod(i));
  await waitUntil(() => pods.every((p) => p.breaker.source === 'shared'), { what: 'every pod on the shared breaker' });
}, 60_000);

afterAll(async () => {
  process.off('warning', onWarning);
  for (const p of pods.splice(0)) {
    await p.breaker.close();
    await p.proxy.close();
  }
  await cluster?.stop();
});

async function startPod(i: number): Promise<Pod> {
  const proxy = new PodProxy();
  await proxy.listen(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
  const startupNodes = cluster.startupNodes.map((n) => ({ host: '127.0.0.1', port: proxy.portFor(n) }));
  const yours = new Cluster(startupNodes, { lazyConnect: true, natMap: proxy.natMap() });
  // The breaker duplicates `yours` (commands without an offline queue, then the subscriber): keep them.
  const copies: Cluster[] = [];
  const duplicate = yours.duplicate.bind(yours);
  yours.duplicate = (...args: Parameters<Cluster['duplicate']>) => {
    const copy = duplicate(...args);
    copies.push(copy);
    return copy;
  };
  const log: string[] = [];
  const breaker = await createClusterBreaker({ name: NAME, podId: `pod-${i}`, redis: yours, config: CONFIG });
  const [command, subscriber] = copies as [Cluster, Cluster];
  expect(command.options.enableOfflineQueue).toBe(false);
  for (const status of STATUSES) command.on(status, () => log.push(status));
  breaker.onStoreDegraded(() => log.push('degraded'));
  breaker.onStoreRecovered(() => log.push('rejoined'));
  return { breaker, proxy, command, subscriber, log };
}

/** A mark in the pods' logs (a fault starts, a heal): what follows is counted from it. */
const MARK = '|';

function mark(which: readonly Pod[]): void {
  for (const p of which) p.log.push(MARK);
}

/** What the log holds after its last mark. */
function sinceMark(p: Pod): string[] {
  return p.log.slice(p.log.lastIndexOf(MARK) + 1);
}

/** The pods have fallen back and their command connection has dropped and tried again `retries` times. */
async function apartAndRetrying(which: readonly Pod[], what: string, retries = 2): Promise<void> {
  mark(which);
  await waitUntil(
    () =>
      which.every(
        (p) => p.breaker.source === 'local' && sinceMark(p).filter((e) => e === 'reconnecting').length >= retries,
      ),
    { what, timeoutMs: 30_000 },
  );
}

async function healedAndRejoined(which: readonly Pod[], heal: () => Promise<void> | void, what: string) {
  mark(which);
  await heal();
  await waitUntil(() => which.every((p) => p.breaker.source === 'shared'), { what, timeoutMs: 30_000 });
}

/** After the heal: at most one connect (straight to ready), then the rejoin. */
function rejoinedOnFirstReady(p: Pod): void {
  const after = sinceMark(p).filter((e) => e !== 'connecting');
  expect(after.filter((e) => e === 'connect').length, `${p.breaker.podId}: ${after.join(' ')}`).toBeLessThanOrEqual(1);
  expect(after.at(-1), `${p.breaker.podId}: ${after.join(' ')}`).toBe('rejoined');
  expect(after.slice(0, after.indexOf('rejoined')), `${p.breaker.podId}: ${after.join(' ')}`).not.toContain('close');
}

/** Every time a pod's command connection reached Redis (`connect`) it was ready next. */
function everyConnectWasReady(): void {
  for (const p of pods) {
    const connects = p.log.flatMap((e, i) =>
      e === 'connect' ? [p.log.slice(i + 1).find((n) => STATUSES.includes(n as never))] : [],
    );
    expect(connects.length).toBeGreaterThan(0);
    expect(connects, `${p.breaker.podId}: ${p.log.join(' ')}`).toEqual(connects.map(() => 'ready'));
  }
}

describe('pods on a Redis Cluster rejoin as soon as their connection answers', () => {
  it('the breaker’s master SIGSTOPped, then SIGCONTed', async () => {
    const master = await cluster.nodeForKey(STATE_KEY);
    await master.pause();
    try {
      await apartAndRetrying(pods, 'every pod on its fallback, its connection retrying');
    } finally {
      await healedAndRejoined(pods, () => master.resume(), 'every pod back on the shared breaker');
    }
    for (const p of pods) rejoinedOnFirstReady(p);
  });

  it('a pod’s path blackholed, another’s reset, then healed', async () => {
    const [held, reset] = pods as [Pod, Pod];
    held.proxy.setMode('blackhole');
    reset.proxy.setMode('reset');
    try {
      await apartAndRetrying([held, reset], 'both cut pods on their fallback, their connections retrying');
    } finally {
      await healedAndRejoined(
        [held, reset],
        () => {
          held.proxy.setMode('pass');
          reset.proxy.setMode('pass');
        },
        'both cut pods back on the shared breaker',
      );
    }
    for (const p of [held, reset]) rejoinedOnFirstReady(p);
  });

  it('the breaker’s master SIGKILLed (a replica promoted), then restarted empty', async () => {
    const master: RedisServer = await cluster.nodeForKey(STATE_KEY);
    mark(pods);
    await cluster.killMaster(master); // resolves once a replica owns the slots on every live node
    await waitUntil(() => pods.every((p) => p.breaker.source === 'shared'), {
      what: 'every pod on the promoted replica',
      timeoutMs: 30_000,
    });
    await master.restart();
    expect(await cluster.nodeForKey(STATE_KEY)).not.toBe(master);
    for (const p of pods) {
      const after = sinceMark(p);
      // A pod may never have fallen back (no call of its reached the dead master in time).
      if (after.includes('degraded')) expect(after.at(-1), `${p.breaker.podId}: ${after.join(' ')}`).toBe('rejoined');
    }
  });

  it('repeated resets leave no pile of close listeners on a socket', async () => {
    const pod = pods[2] as Pod;
    let most = 0;
    const sample = () => {
      for (const sockets of [lastSubscriberSockets(pod.subscriber), lastSubscriberSockets(pod.command)]) {
        for (const s of sockets) most = Math.max(most, s.listenerCount('close'));
      }
    };
    const sampler = setInterval(sample, 5);
    try {
      for (let cut = 0; cut < 3; cut++) {
        pod.proxy.setMode('reset');
        await apartAndRetrying([pod], `pod cut (${cut + 1} of 3), its connection retrying`, 3);
        await healedAndRejoined([pod], () => pod.proxy.setMode('pass'), 'the pod back');
      }
    } finally {
      clearInterval(sampler);
    }
    sample();
    // One from ioredis's own disconnect; before the guard, one more per subscriber pick (15 a second).
    expect(most).toBeLessThanOrEqual(2);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('every time a pod’s connection reached Redis again it was ready at once (no failed ready check)', () => {
    everyConnectWasReady();
  });
});

/** The sockets of a Cluster's own pub/sub connection (ioredis's ClusterSubscriber): the last active one and the current one. */
function lastSubscriberSockets(c: Cluster): Array<{ listenerCount(event: string): number }> {
  type Conn = { stream?: { listenerCount(event: string): number } } | null | undefined;
  const helper = (c as unknown as { subscriber?: { lastActiveSubscriber?: Conn; subscriber?: Conn } }).subscriber;
  return [helper?.lastActiveSubscriber?.stream, helper?.subscriber?.stream].filter(
    (s): s is { listenerCount(event: string): number } => s !== undefined,
  );
}
