import { RedisBreakerStore } from '@breakwater/breaker-core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { SECRETS, tokenConfig } from './admin-fixtures.js';
import { type RunningBin, runBin, startBin } from './bins.js';

/**
 * The two bins as an SRE runs them: `breakwater-admin` configured by
 * environment, listening on a real port, and the `breakwater` CLI as child
 * processes against it. Ends with a graceful shutdown.
 */
describe('breakwater CLI against breakwater-admin on a real port', () => {
  let redis: TestRedis;
  let server: RunningBin;
  let url: string;
  const children: RunningBin[] = [];

  const cli = (args: string[], token: string = SECRETS.operator) =>
    runBin('breakwater', args, { BREAKWATER_URL: url, BREAKWATER_TOKEN: token });

  beforeAll(async () => {
    redis = await acquireRedis('admin-cli');
    const client = new Redis(redis.url);
    const store = new RedisBreakerStore({ client, prefix: redis.prefix });
    await store.register('pusher');
    await store.close();
    client.disconnect();

    server = startBin('breakwater-admin', [], {
      REDIS_URL: redis.url,
      BREAKWATER_KEY_PREFIX: redis.prefix,
      BREAKWATER_ADMIN_TOKENS: JSON.stringify(tokenConfig(Date.now())),
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    children.push(server);
    const listening = await server.waitForLine((l) => l.includes('"msg":"breakwater-admin listening"'));
    url = JSON.parse(listening).url;
    await vi.waitFor(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), {
      timeout: 20_000,
      interval: 100,
    });
  });

  afterAll(async () => {
    for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await redis?.release();
  });

  it('status, watch, force-open, force-close, clear, reset, audit, refusals, then a graceful shutdown', async () => {
    const status = await cli(['status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/^NAME\s+STATE/);
    expect(status.stdout).toMatch(/pusher\s+closed\s+0/);

    const watch = startBin('breakwater', ['watch', 'pusher', '--interval', '250ms'], {
      BREAKWATER_URL: url,
      BREAKWATER_TOKEN: SECRETS.viewer,
    });
    children.push(watch);
    await watch.waitForLine((l) => l.endsWith('pusher: closed (generation 0)'));

    const open = await cli(['force-open', 'pusher', '--reason', 'pusher 5xx, INC-77', '--ttl', '15m']);
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(/^pusher: forced_open \(generation 1, automatic closed\), forced_open by olga until /);
    await watch.waitForLine((l) => l.includes('pusher: forced_open (generation 1'));

    const audit = await cli(['audit', 'pusher', '--json']);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout).entries[0]).toMatchObject({
      action: 'force_open',
      actor: 'olga',
      reason: 'pusher 5xx, INC-77',
    });

    const close = await cli(['force-close', 'pusher', '--reason', 'false alarm', '--ttl', '10m']);
    expect(close).toMatchObject({ code: 0, stderr: '' });
    expect(close.stdout).toMatch(
      /^pusher: forced_closed \(generation 2, automatic closed\), forced_closed by olga until \S+: false alarm$/m,
    );
    await watch.waitForLine((l) => l.includes('pusher: forced_closed (generation 2'));

    const clear = await cli(['clear', 'pusher', '--reason', 'pusher healthy again']);
    expect(clear).toMatchObject({ code: 0, stderr: '' });
    expect(clear.stdout.trim()).toBe('pusher: closed (generation 3)');

    const reset = await cli(['reset', 'pusher', '--reason', 'fresh window after INC-77']);
    expect(reset).toMatchObject({ code: 0, stderr: '' });
    expect(reset.stdout.trim()).toBe('pusher: closed (generation 4)');

    // The audit as the table an SRE reads: newest first, every action with its actor and reason.
    const table = await cli(['audit', 'pusher']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^AT\s+ACTION\s+FROM\s+TO\s+GEN\s+ACTOR\s+REASON$/);
    expect(rows.map((row) => row.split(/\s{2,}/).slice(1))).toEqual([
      ['reset', 'closed', 'closed', '4', 'olga', 'fresh window after INC-77'],
      ['clear_override', 'forced_closed', 'closed', '3', 'olga', 'pusher healthy again'],
      ['force_close', 'forced_open', 'forced_closed', '2', 'olga', 'false alarm'],
      ['force_open', 'closed', 'forced_open', '1', 'olga', 'pusher 5xx, INC-77'],
    ]);
    for (const row of rows) expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s/);

    const forbidden = await cli(['reset', 'pusher', '--reason', 'x'], SECRETS.viewer);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('403 FORBIDDEN');
    const expired = await cli(['status'], SECRETS.expired);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('401 AUTH_EXPIRED');
    const usage = await cli(['force-open', 'pusher', '--ttl', 'soon', '--reason', 'x']);
    expect(usage.code).toBe(2);
    const tooLong = await cli(['force-open', 'pusher', '--ttl', '2d', '--reason', 'x']);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('--ttl must be 10s to 24h');

    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);

    // Nothing the server logged holds a token, though it logged every request.
    const log = server.stdout.join('\n');
    expect(log).toContain('"actor":"olga"');
    for (const secret of Object.values(SECRETS)) expect(log).not.toContain(secret);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout.some((l) => l.includes('"msg":"stopped"'))).toBe(true);

    const unreachable = await cli(['status']);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain(`breakwater: cannot reach ${url}: ECONNREFUSED`);
    expect(unreachable.stderr).toContain('BREAKWATER_URL');
  });
});
