import {
  isProcessAlive,
  liveCount,
  type RedisSentinel,
  type RedisServer,
  startRedisSentinel,
} from '@breakwater/redis-harness';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/index.js';

const PASSWORD = 'data-secret-1';
const SENTINEL_PASSWORD = 'sentinel-secret-1';

describe('startRedisSentinel', () => {
  let sentinel: RedisSentinel;
  let client: Redis;
  const direct: Redis[] = [];
  /** A plain connection to one data node, bypassing the sentinels. */
  const on = (port: number) => {
    const c = new Redis({ port, password: PASSWORD, maxRetriesPerRequest: 0, lazyConnect: true });
    c.on('error', () => {});
    direct.push(c);
    return c;
  };

  beforeAll(async () => {
    const before = liveCount();
    sentinel = await startRedisSentinel({
      masterName: 'bw-master',
      password: PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
    });
    // Every process is registered for the per-file teardown and orphan reaping.
    expect(liveCount() - before).toBe(5);
    client = new Redis({ ...sentinel.redisOptions(), maxRetriesPerRequest: 1 });
    client.on('error', () => {});
  });

  afterAll(async () => {
    client?.disconnect();
    for (const c of direct) c.disconnect();
    await sentinel?.stop();
  });

  it('starts one master, one replica in sync and three sentinels that all name the master', async () => {
    expect(sentinel.sentinels).toHaveLength(3);
    expect(sentinel.dataNodes).toHaveLength(2);
    const [first, second] = sentinel.dataNodes as [RedisServer, RedisServer];
    expect(await sentinel.master()).toBe(first);
    expect(await sentinel.info(first)).toMatchObject({ role: 'master', connected_slaves: '1' });
    expect(await sentinel.info(second)).toMatchObject({ role: 'slave', master_link_status: 'up' });
    for (const s of sentinel.sentinels) {
      const c = new Redis({ port: s.port, password: SENTINEL_PASSWORD });
      try {
        expect(await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'bw-master')).toEqual([
          '127.0.0.1',
          String(first.port),
        ]);
      } finally {
        c.disconnect();
      }
    }
    expect(sentinel.redisOptions()).toEqual({
      sentinels: sentinel.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: 'bw-master',
      password: PASSWORD,
      sentinelPassword: SENTINEL_PASSWORD,
    });
  });

  it('requires the passwords it was given, on the data nodes and on the sentinels', async () => {
    const [first] = sentinel.dataNodes;
    // Connected first, without ioredis's INFO ready check: the command itself gets the refusal.
    const bare = { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 } as const;
    const anonymous = new Redis({ port: first?.port, ...bare });
    const anonymousSentinel = new Redis({ port: sentinel.sentinels[0]?.port, ...bare });
    anonymous.on('error', () => {});
    anonymousSentinel.on('error', () => {});
    try {
      await anonymous.connect();
      await anonymousSentinel.connect();
      await expect(anonymous.get('x')).rejects.toThrow(/NOAUTH/);
      await expect(anonymousSentinel.call('SENTINEL', 'MASTERS')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
      anonymousSentinel.disconnect();
    }
  });

  it('failover() promotes the replica, keeps what was written, and a Sentinel client follows the new master', async () => {
    await client.set('before-failover', '1');
    const { from, to } = await sentinel.failover();
    expect(to).not.toBe(from);
    expect(await sentinel.master()).toBe(to);
    expect(await sentinel.info(from)).toMatchObject({ role: 'slave', master_port: String(to.port) });
    expect(await on(to.port).get('before-failover')).toBe('1');
    await waitUntil(async () => (await client.set('after-failover', '2').catch(() => null)) === 'OK', {
      what: 'the Sentinel client writing to the new master',
    });
    expect(await on(to.port).get('after-failover')).toBe('2');
  });

  it('stallReplication() then killMaster(): the replica is promoted without the writes made since the stall', async () => {
    const master = await sentinel.master();
    const writer = on(master.port);
    await writer.set('kept', 'replicated');
    await waitUntil(async () => Number(await writer.call('WAIT', 1, 100)) === 1, { what: 'the replica acknowledging' });
    const stalled = await sentinel.stallReplication();
    expect(stalled).toHaveLength(1);
    expect(stalled[0]?.isPaused()).toBe(true);
    await writer.set('lost', 'master only');
    // No replica acknowledges it: the link is cut and the replica frozen.
    expect(Number(await writer.call('WAIT', 1, 200))).toBe(0);
    const pid = master.pid;
    const { from, to } = await sentinel.killMaster();
    expect(from).toBe(master);
    expect(isProcessAlive(pid)).toBe(false);
    expect(to.isPaused()).toBe(false);
    const promoted = on(to.port);
    expect(await promoted.get('kept')).toBe('replicated');
    expect(await promoted.get('lost')).toBeNull();
  });

  it('a killed data node restarts as a replica of the master the sentinels name now', async () => {
    const dead = sentinel.dataNodes.find((n) => !n.isRunning());
    if (!dead) throw new Error('expected the node killed above');
    await dead.restart();
    const master = await sentinel.waitUntilHealthy();
    expect(master).not.toBe(dead);
    expect(await sentinel.info(dead)).toMatchObject({
      role: 'slave',
      master_port: String(master.port),
      master_link_status: 'up',
    });
    expect(await on(dead.port).get('kept')).toBe('replicated');
  });

  it('a paused master is failed over by the sentinels and rejoins as a replica when resumed', async () => {
    const master = await sentinel.master();
    await master.pause();
    const { to } = await sentinel.waitForFailover(master, 60_000);
    expect(to).not.toBe(master);
    await master.resume();
    expect(await sentinel.waitUntilHealthy(60_000)).toBe(to);
    expect(await sentinel.info(master)).toMatchObject({ role: 'slave', master_port: String(to.port) });
  });

  it('checks its options', async () => {
    await expect(startRedisSentinel({ sentinels: 0 })).rejects.toThrow(RangeError);
    await expect(startRedisSentinel({ masterName: 'no spaces' })).rejects.toThrow(/masterName/);
    await expect(startRedisSentinel({ downAfterMs: 10 })).rejects.toThrow(/downAfterMs/);
  });

  it('stop() ends every process', async () => {
    const pids = [...sentinel.sentinels, ...sentinel.dataNodes].map((n) => n.pid);
    await sentinel.stop();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });
});
