import { ProxyHost, type RemoteProxy } from '@breakwater/chaos';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis, waitUntil } from '../harness/index.js';

/**
 * The campaign's pod proxies in a proxy host (a child process the orchestrator drives
 * over IPC), against a real redis-server: each fault mode does to the pod's path what
 * the checks assume, the host says when a mode took effect (one host clock), reports when
 * a path answers again after a heal even when the heal is marked after that answer, and
 * reports its own loop's stalls and its death.
 */

let redis: RedisServer;
let host: ProxyHost;
let proxy: RemoteProxy;
const stalls: Array<{ from: number; to: number }> = [];
const crashes: string[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
  host = await ProxyHost.start(
    'proxy-host-test',
    (from, to) => stalls.push({ from, to }),
    (why) => crashes.push(why),
  );
  proxy = await host.proxy(0, [{ host: redis.host, port: redis.port }]);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await host.setMode([proxy], 'pass');
});

afterAll(async () => {
  await host?.close();
  await redis?.stop();
});

/** A client through the proxy that fails fast: no retries, no offline queue, no reconnect. */
function throughProxy(commandTimeout = 1_000): Redis {
  const c = new Redis({
    host: '127.0.0.1',
    port: proxy.portFor(redis),
    commandTimeout,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

describe('a proxy host', () => {
  it('pass: bytes flow both ways', async () => {
    const c = throughProxy();
    await c.connect();
    expect(await c.set('proxy-host-test', 'v')).toBe('OK');
    expect(await c.get('proxy-host-test')).toBe('v');
  });

  it('blackhole: nothing answers; the held bytes flow once healed; the heal is when the host applied it', async () => {
    const c = throughProxy(300);
    await c.connect();
    const before = Date.now();
    const appliedAt = await host.setMode([proxy], 'blackhole');
    expect(appliedAt).toBeGreaterThanOrEqual(before);
    await expect(c.ping()).rejects.toThrow(/timed out/i);
    const healedAt = await host.setMode([proxy], 'pass');
    expect(healedAt).toBeGreaterThanOrEqual(appliedAt);
    expect(await c.ping()).toBe('PONG');
  });

  it('reset: open connections are reset, new ones at once', async () => {
    const c = throughProxy();
    await c.connect();
    const closed = new Promise((r) => c.once('close', r));
    await host.setMode([proxy], 'reset');
    await closed;
    const d = throughProxy();
    await expect(d.connect()).rejects.toThrow();
  });

  it('latency: each chunk waits at least the latency, both ways', async () => {
    const c = throughProxy(5_000);
    await c.connect();
    await host.setMode([proxy], 'latency', 300);
    const sent = performance.now();
    expect(await c.ping()).toBe('PONG');
    expect(performance.now() - sent).toBeGreaterThanOrEqual(600 - 1);
  });

  it('a heal marked after the fact: a path that already answered on a connection opened since has reached Redis', async () => {
    const healAt = Date.now();
    const c = throughProxy();
    await c.connect();
    expect(await c.ping()).toBe('PONG');
    const answered = Date.now();
    // Marked now (Redis came back at `healAt`, the orchestrator says so a moment later): no
    // further answer is needed for the host to report the path answering again.
    host.markHeal(healAt);
    expect(proxy.reachedAt()).toBeUndefined();
    await waitUntil(() => proxy.reachedAt() !== undefined, { what: 'the host reported the reach' });
    expect(proxy.reachedAt()).toBeGreaterThanOrEqual(healAt);
    expect(proxy.reachedAt()).toBeLessThanOrEqual(answered);
  });

  it('a heal from a cut: the reach is the first answer on a connection opened after it', async () => {
    const old = throughProxy();
    await old.connect();
    await host.setMode([proxy], 'blackhole');
    const healedAt = await host.setMode([proxy], 'pass');
    expect(proxy.reachedAt()).toBeUndefined();
    expect(await old.ping()).toBe('PONG'); // a connection from before the heal does not count
    const opened = Date.now();
    const fresh = throughProxy();
    await fresh.connect();
    expect(await fresh.ping()).toBe('PONG');
    await waitUntil(() => proxy.reachedAt() !== undefined, { what: 'the host reported the reach' });
    expect(proxy.reachedAt()).toBeGreaterThanOrEqual(Math.max(healedAt, opened));
  });

  it('reports its own loop stalled (the traffic it carries held) for at least as long as it was stopped', async () => {
    const pid = host.pid as number;
    const from = Date.now();
    process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 400));
    process.kill(pid, 'SIGCONT');
    const to = Date.now();
    await waitUntil(() => stalls.some((s) => s.from <= from + 100 && s.to >= to - 100 && s.to - s.from >= 300), {
      what: 'the stall reported',
    });
    expect(crashes).toEqual([]);
  });

  it('a host that dies is reported, and its requests fail instead of hanging', async () => {
    const other = await ProxyHost.start(
      'proxy-host-doomed',
      () => {},
      (why) => crashes.push(why),
    );
    const p = await other.proxy(0, [{ host: redis.host, port: redis.port }]);
    process.kill(other.pid as number, 'SIGKILL');
    await waitUntil(() => crashes.length > 0, { what: 'the crash reported' });
    expect(crashes[0]).toMatch(/proxy-host-doomed exited \(SIGKILL\)/);
    await expect(other.setMode([p], 'blackhole')).rejects.toThrow();
    crashes.length = 0;
  });
});
