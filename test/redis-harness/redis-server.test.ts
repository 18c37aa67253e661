import { deleteByPrefix, isProcessAlive, type RedisServer, startRedis, uniquePrefix } from '@breakwater/redis-harness';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

const clients: Redis[] = [];
function client(server: RedisServer, extra: RedisOptions = {}): Redis {
  const c = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 0, ...extra });
  c.on('error', () => {}); // expected while faults are injected
  clients.push(c);
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('startRedis', () => {
  it('starts an empty server on a free port that answers commands', async () => {
    const server = await startRedis();
    const c = client(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await c.dbsize()).toBe(0);
    await c.set('k', 'v');
    expect(await c.get('k')).toBe('v');
    await server.stop();
  });

  it('restart() comes back on the same port with no data', async () => {
    const server = await startRedis();
    const port = server.port;
    const before = server.pid;
    const c = client(server, { lazyConnect: true });
    await c.connect();
    await c.set('survives?', 'no');
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(before);
    expect(isProcessAlive(before)).toBe(false);
    const fresh = client(server);
    expect(await fresh.get('survives?')).toBeNull();
    expect(await fresh.dbsize()).toBe(0);
    await server.stop();
  });

  it('a command against a paused server fails with the client timeout, and works after resume()', async () => {
    const server = await startRedis();
    const c = client(server, { commandTimeout: 200 });
    expect(await c.ping()).toBe('PONG');
    await server.pause();
    await expect(c.ping()).rejects.toThrow(/Command timed out/);
    await server.resume();
    const again = client(server, { commandTimeout: 2_000 });
    expect(await again.ping()).toBe('PONG');
    await server.stop();
  });

  it('kill() is abrupt: the process is gone and connections are refused', async () => {
    const server = await startRedis();
    const pid = server.pid;
    await server.kill();
    expect(server.isRunning()).toBe(false);
    expect(isProcessAlive(pid)).toBe(false);
    const c = client(server, { retryStrategy: () => null, lazyConnect: true });
    await expect(c.connect()).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    await server.stop();
  });

  it('stop() ends the process and is idempotent', async () => {
    const server = await startRedis();
    const pid = server.pid;
    expect(isProcessAlive(pid)).toBe(true);
    await server.stop();
    await server.stop();
    expect(isProcessAlive(pid)).toBe(false);
    await expect(server.restart()).rejects.toThrow(/was stopped/);
  });

  it('passes extra arguments to redis-server', async () => {
    const server = await startRedis({ args: ['--maxmemory', '7mb'] });
    const c = client(server);
    expect(await c.config('GET', 'maxmemory')).toEqual(['maxmemory', String(7 * 1024 * 1024)]);
    expect(await c.config('GET', 'save')).toEqual(['save', '']);
    await server.stop();
  });
});

describe('deleteByPrefix', () => {
  it('removes only the keys under its prefix', async () => {
    const server = await startRedis();
    const c = client(server);
    const mine = uniquePrefix('mine');
    const theirs = uniquePrefix('theirs');
    await c.mset(`${mine}a`, 1, `${mine}{x}b`, 2, `${theirs}a`, 3);
    await deleteByPrefix(server.url, mine);
    expect(await c.keys('*')).toEqual([`${theirs}a`]);
    await server.stop();
  });
});
