import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followTheMaster, openBreakerConnections, outliveFailovers } from './fail-fast-client.js';

const backoff = (times: number) => Math.min(50 * 2 ** times, 2_000);

describe('followTheMaster', () => {
  const options = followTheMaster(1_000, backoff);

  it('writes to the master, watches the sentinels and never waits on one for ever', () => {
    expect(options).toMatchObject({ role: 'master', failoverDetector: true, sentinelCommandTimeout: 1_000 });
    expect(options.sentinelRetryStrategy?.(3)).toBe(400);
    expect(options.sentinelReconnectStrategy?.(3)).toBe(400);
  });

  it('reconnects on a READONLY reply only', () => {
    const reconnect = options.reconnectOnError as (err: Error) => boolean | 1 | 2;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(1);
    expect(reconnect(new Error('NOSCRIPT No matching script'))).toBe(false);
  });
});

describe('outliveFailovers', () => {
  const made: Redis[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const c of made.splice(0)) c.disconnect();
  });

  /** A client that never connects; connect() is counted (from the last `ended()` on), not run. */
  function client(): { redis: Redis; connects: () => number; ended: () => void } {
    const redis = outliveFailovers(new Redis({ lazyConnect: true, port: 1, retryStrategy: () => null }), backoff);
    made.push(redis);
    let connects = 0;
    redis.connect = async () => {
      connects += 1;
    };
    return {
      redis,
      connects: () => connects,
      // ioredis's own reconnect attempts before this do not count: only what follows the end.
      ended: () => {
        connects = 0;
        redis.status = 'end';
        redis.emit('end');
      },
    };
  }

  it('connects again, on the backoff, after an end nobody asked for', () => {
    vi.useFakeTimers();
    const { connects, ended } = client();
    ended();
    vi.advanceTimersByTime(99);
    expect(connects()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(connects()).toBe(1);
  });

  it('stays ended after the owner’s disconnect() or quit()', async () => {
    vi.useFakeTimers();
    for (const close of [(r: Redis) => r.disconnect(), (r: Redis) => void r.quit().catch(() => {})]) {
      const { redis, connects, ended } = client();
      close(redis);
      ended();
      vi.advanceTimersByTime(10_000);
      expect(connects()).toBe(0);
    }
  });

  it('a disconnect(true) (asking for a reconnect) is no close: the end that follows is reconnected', async () => {
    vi.useFakeTimers();
    const { redis, connects } = client();
    redis.disconnect(true); // without a retry strategy of its own, ioredis ends the connection
    expect(redis.status).toBe('end');
    await new Promise((resolve) => process.nextTick(resolve)); // ioredis emits 'end' on the next tick
    vi.advanceTimersByTime(100);
    expect(connects()).toBe(1);
  });
});

describe('openBreakerConnections on a Cluster', () => {
  it('the command connection is ready without a ready check; the subscriber keeps it', () => {
    const yours = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const { command, subscriber } = openBreakerConnections(yours, 250, 2_000);
    try {
      expect((command as Cluster).options).toMatchObject({ enableOfflineQueue: false, enableReadyCheck: false });
      expect((subscriber as Cluster).options).toMatchObject({ enableOfflineQueue: true, enableReadyCheck: true });
    } finally {
      command.disconnect();
      subscriber.disconnect();
      yours.disconnect();
    }
  });
});
