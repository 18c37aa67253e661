import { createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';
import { PodProcess } from './pod-process.js';

/**
 * A pod's own event loop stalls (synchronous work: 50 sessions' callbacks on a busy
 * core) right after it sent a call, and Redis answers within the deadline: the reply
 * sits unread in the socket while the pod is busy. When the loop is free again, the
 * deadline's timer is due as well. That alone must not push the pod off the shared
 * breaker: a pod on its local breaker may grant itself a local probe lease, and the
 * fleet ends up with several probes in one half-open generation.
 */

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

// The stalled pods' deadline, and how long their loop is held after each call: well past it.
const COMMAND_TIMEOUT_MS = 250;
const STALL_MS = 600;
const STALLING_PODS = 3;

describe('a pod whose event loop stalls while Redis answers in time', () => {
  it('stays on the shared breaker, and the fleet probes once per half-open generation', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 300, probeLeaseMs: 10_000 };
    // The pod that gets the shared lease, in this process. This test is about the stalled pods: a generous
    // deadline here, so a busy machine cannot send this one to its local breaker.
    const holder = await createClusterBreaker({
      name: 'pusher',
      redis: server.url,
      podId: 'holder',
      config,
      commandTimeoutMs: 5_000,
    });
    closers.push(() => holder.close());
    const fleet = await PodProcess.start();
    closers.push(() => fleet.close());
    await fleet.create(STALLING_PODS, 'stalling', {
      name: 'pusher',
      redis: server.url,
      config,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });

    for (let i = 0; i < 5; i++) holder.recordFailure();
    await waitUntil(
      async () => holder.state === 'half_open' && (await fleet.views()).every((v) => v.state === 'half_open'),
      { what: 'every pod half-open when the cooldown ends' },
    );
    const generation = holder.generation;
    const lease = await holder.acquireProbe();
    expect(lease).toMatchObject({ holder: 'holder', generation });

    // Each stalling pod asks too (one session per pod does), and its loop is then busy for STALL_MS.
    // Whatever a pod is granted, its session probes and reports, as a listen session would.
    const accepted: Array<{ pod: string; generation: number }> = [];
    for (let i = 0; i < STALLING_PODS; i++) {
      const mine = await fleet.acquireProbe(i, STALL_MS);
      if (mine && (await fleet.reportProbe(i, mine, 'failure'))) {
        accepted.push({ pod: `stalling-${i}`, generation: mine.generation });
      }
    }
    if (await holder.reportProbe(lease as ProbeLease, 'failure')) accepted.push({ pod: 'holder', generation });

    const views = await fleet.views();
    expect({
      // One probe for the generation, fleet-wide: the shared lease's.
      accepted,
      // No pod fell back: each had its answer in time, only its own loop was late to read it.
      fellBack: views.filter((v) => v.source !== 'shared' || v.degraded.length > 0),
      localLeases: views.flatMap((v) => v.granted),
    }).toEqual({ accepted: [{ pod: 'holder', generation }], fellBack: [], localLeases: [] });
  });
});
