import { isProcessAlive } from '@breakwater/redis-harness';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { type RedisSentinel, startRedisSentinel } from '../../harness/index.js';
import { waitUntil } from '../../harness/wait-until.js';
import { PodProcess } from './pod-process.js';

/**
 * Found by the fault campaign (`pnpm chaos`, Sentinel, a pod's path to the sentinels
 * reset): a pod process died of an unhandled rejection, `Command timed out`, from
 * ioredis's failover detector. The breaker's connections watch the sentinels for
 * `+switch-master` (`failoverDetector`) with a command timeout on sentinel commands
 * (`sentinelCommandTimeout`, so a stalled sentinel cannot hold a reconnect). When a
 * detector connection to a sentinel breaks, ioredis reconnects it and re-sends its
 * SUBSCRIBE without handling the promise; a sentinel that does not answer in time (here:
 * stalled right after the break) rejects it, and Node ends the process. The pod now
 * survives, on the shared breaker. Runs in a child process: the crash is the process's.
 */

let sentinel: RedisSentinel | undefined;
let pod: PodProcess | undefined;

afterAll(async () => {
  await pod?.close();
  if (sentinel) for (const s of sentinel.sentinels) if (s.isPaused()) await s.resume();
  await sentinel?.stop();
});

it('a pod survives its failover detector losing a sentinel that then stalls', async () => {
  sentinel = await startRedisSentinel({ replicas: 1, sentinels: 3 });
  pod = await PodProcess.start();
  await pod.create(1, 'detector', { name: 'pusher', redis: sentinel.redisOptions(), prefix: 'bwdet' });
  await waitUntil(async () => (await pod?.views())?.[0]?.source === 'shared', {
    timeoutMs: 10_000,
    what: 'the pod on the shared breaker',
  });

  for (const s of sentinel.sentinels) {
    // Break the detector's subscription on this sentinel, and stall the sentinel before
    // the detector's reconnect (100 ms backoff) has its SUBSCRIBE answered.
    const c = new Redis({ host: s.host, port: s.port, lazyConnect: true });
    await c.connect();
    await c.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    c.disconnect();
    await s.pause();
  }
  // The re-sent SUBSCRIBEs time out after the breaker's connect timeout (1 s) and reject.
  await new Promise((r) => setTimeout(r, 3_000));
  for (const s of sentinel.sentinels) await s.resume();

  expect(isProcessAlive(pod.pid), 'the pod process is alive').toBe(true);
  await waitUntil(async () => (await pod?.views())?.[0]?.source === 'shared', {
    timeoutMs: 10_000,
    what: 'the pod back on the shared breaker',
  });
});
