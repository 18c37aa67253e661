import { createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, waitUntil } from '../../harness/index.js';
import { PodProcess } from './pod-process.js';

/**
 * Redis really is late (SIGSTOP) while the breaker is half-open and one pod holds
 * the probe lease. The pods whose calls time out fall back to their local
 * breakers, as they must; but the probe of this half-open generation is the
 * fleet's, not theirs: a pod that has just lost the shared store does not grant
 * itself a local lease while another pod may be probing.
 */

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('pods that lose Redis while the breaker is half-open', () => {
  it('fall back without probing beside the lease holder: one probe per generation', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 300, probeLeaseMs: 30_000 };
    const holder = await createClusterBreaker({
      name: 'pusher',
      redis: server.url,
      podId: 'holder',
      config,
      commandTimeoutMs: 5_000, // waits out the pause below: the holder is the one pod that stays on Redis
    });
    closers.push(() => holder.close());
    const fleet = await PodProcess.start();
    closers.push(() => fleet.close());
    await fleet.create(3, 'cut-off', { name: 'pusher', redis: server.url, config, commandTimeoutMs: 250 });

    for (let i = 0; i < 5; i++) holder.recordFailure();
    await waitUntil(
      async () => holder.state === 'half_open' && (await fleet.views()).every((v) => v.state === 'half_open'),
      { what: 'every pod half-open when the cooldown ends' },
    );
    const generation = holder.generation;
    const lease = (await holder.acquireProbe()) as ProbeLease;
    expect(lease).toMatchObject({ holder: 'holder', generation });

    const accepted: string[] = [];
    await server.pause();
    try {
      for (let i = 0; i < 3; i++) {
        const mine = await fleet.acquireProbe(i); // no answer within 250 ms: the pod falls back
        if (mine && (await fleet.reportProbe(i, mine, 'failure'))) accepted.push(`cut-off-${i}@${mine.generation}`);
      }
      expect((await fleet.views()).map((v) => v.source)).toEqual(['local', 'local', 'local']);
    } finally {
      await server.resume();
    }
    if (await holder.reportProbe(lease, 'failure')) accepted.push(`holder@${generation}`);
    expect(accepted).toEqual([`holder@${generation}`]);
    expect((await fleet.views()).flatMap((v) => v.granted)).toEqual([]);
  });

  it('probe alone once their own cooldown is over, and a local lease handed back as a copy is reported locally', async () => {
    const server = await startRedis();
    const config = { failureThreshold: 5, cooldownMs: 300, probeLeaseMs: 30_000 };
    const fleet = await PodProcess.start();
    closers.push(() => fleet.close());
    await fleet.create(1, 'cut-off', { name: 'pusher', redis: server.url, config, commandTimeoutMs: 250 });
    await fleet.recordFailures(0, 5);
    await waitUntil(async () => (await fleet.views())[0]?.state === 'half_open', { what: 'half-open' });

    await server.pause();
    try {
      expect(await fleet.acquireProbe(0)).toBeNull(); // falls back: open locally for a cooldown of its own
      let mine: ProbeLease | null = null;
      await waitUntil(
        async () => {
          mine = await fleet.acquireProbe(0);
          return mine !== null;
        },
        { what: 'a local lease once the local cooldown is over' },
      );
      // The lease comes back from the parent over IPC: a copy of the object the pod granted.
      expect(await fleet.reportProbe(0, mine as unknown as ProbeLease, 'success')).toBe(true);
      const [view] = await fleet.views();
      expect(view).toMatchObject({ source: 'local', state: 'closed', granted: [{ source: 'local' }] });
    } finally {
      await server.resume();
    }
  });
});
