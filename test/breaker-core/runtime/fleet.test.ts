import {
  type BreakerState,
  type ClusterBreaker,
  createClusterBreaker,
  type ProbeLease,
} from '@breakwater/breaker-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';
import { PodProcess } from './pod-process.js';

/**
 * Thirty pods share one breaker through a real Redis: 20 in this process on
 * their own connections, 10 in two child processes. They trip together,
 * half-open together on Redis time, exactly one probes, and they close together.
 * The periodic resync is pushed out past the test (60 s), so what is proven
 * is pub/sub and each pod's own timer for the end of the cooldown.
 */

const CONFIG = { failureThreshold: 20, cooldownMs: 1_500, probeLeaseMs: 5_000 };
const RESYNC_OFF = 60_000;
let server: RedisServer;
const local: ClusterBreaker[] = [];
const children: PodProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  const options = { name: 'pusher', redis: server.url, config: CONFIG, resyncIntervalMs: RESYNC_OFF };
  for (let i = 0; i < 20; i++) local.push(await createClusterBreaker({ ...options, podId: `local-${i}` }));
  for (let c = 0; c < 2; c++) {
    const child = await PodProcess.start();
    children.push(child);
    await child.create(5, `child${c}`, options);
  }
});

afterAll(async () => {
  await Promise.all(local.map((b) => b.close()));
  await Promise.all(children.map((c) => c.close()));
  await server.stop();
});

async function allStates(): Promise<BreakerState[]> {
  const remote = await Promise.all(children.map((c) => c.states()));
  return [...local.map((b) => b.state), ...remote.flat()];
}

const all = (state: BreakerState) => async () => (await allStates()).every((s) => s === state);

it('30 pods trip together, half-open together, probe once, and close together', async () => {
  expect(await allStates()).toEqual(Array(30).fill('closed'));

  // Failures spread over pods in both processes add up in the one shared window.
  for (const b of local.slice(0, 10)) b.recordFailure();
  await children[0]?.recordFailures(0, 5);
  await children[1]?.recordFailures(3, 5);
  await waitUntil(all('open'), { what: 'all 30 pods open after the tripping flush' });

  await waitUntil(all('half_open'), { what: 'all 30 pods half-open when the cooldown ends' });

  const leases = await Promise.all([
    ...local.map((b) => b.acquireProbe()),
    ...children.flatMap((c) => [0, 1, 2, 3, 4].map((i) => c.acquireProbe(i))),
  ]);
  const granted = leases.filter((l): l is ProbeLease => l !== null);
  expect(granted).toHaveLength(1);
  const lease = granted[0] as ProbeLease;
  const holder = leases.indexOf(lease);
  // The holder reports success; everyone closes.
  const accepted =
    holder < 20
      ? await local[holder]?.reportProbe(lease, 'success')
      : await children[Math.floor((holder - 20) / 5)]?.reportProbe((holder - 20) % 5, lease, 'success');
  expect(accepted).toBe(true);
  await waitUntil(all('closed'), { what: 'all 30 pods closed after the probe succeeded' });
  expect(local.every((b) => b.generation === 3)).toBe(true);
});
