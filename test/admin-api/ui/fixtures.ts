// Playwright fixtures for the browser tests (not a test file): the servers the page talks to
// and the operator's tab, started once for the worker (playwright.config.ts runs one) and
// torn down after its last test, whether the tests passed, failed or timed out.
import { buildAdminApp } from '@breakwater/admin-api';
import { type ClusterBreaker, createClusterBreaker, RedisBreakerStore } from '@breakwater/breaker-core';
import { stopAll } from '@breakwater/redis-harness';
import { test as base, expect } from '@playwright/test';
import { Redis } from 'ioredis';
import { acquireRedis, type TestRedis } from '../../harness/index.js';
import { SECRETS, tokenConfig } from '../admin-fixtures.js';
import { AdminPage } from './admin-page.js';

/**
 * What the page runs against: a real redis-server from the harness, the admin API on a real
 * port over it, and a real `ClusterBreaker` pod on `pusher` with Redis connections of its own.
 *
 * The stores' clock (the admin API's and the pod's RedisBreakerStore, which the Lua scripts
 * take instead of Redis TIME) is the test's: it reads 3 h 17 min behind the browser's, so a
 * countdown the page gets right is one it computed on the store's clock, and it moves only
 * when a test moves it ({@link advance}), so an override lapses exactly when the test says.
 */
export class Servers {
  private now = Date.now() - (3 * 3_600_000 + 17 * 60_000);
  readonly clock = () => this.now;
  private readonly clients: Redis[] = [];
  private app: ReturnType<typeof buildAdminApp> | undefined;
  private redis!: TestRedis;
  /** The admin API's store: the test seeds breakers and acts as another SRE's CLI through it. */
  store!: RedisBreakerStore;
  pod!: ClusterBreaker;
  /** The admin API's base URL, e.g. `http://127.0.0.1:39113`; the same after {@link restartAdmin}. */
  url = '';

  static async start(): Promise<Servers> {
    const servers = new Servers();
    try {
      await servers.startAll();
    } catch (err) {
      await servers.stop();
      throw err;
    }
    return servers;
  }

  private async startAll(): Promise<void> {
    this.redis = await acquireRedis('admin-ui');
    this.store = new RedisBreakerStore({ client: this.client(), prefix: this.redis.prefix, clock: this.clock });
    this.pod = await createClusterBreaker({
      name: 'pusher',
      store: new RedisBreakerStore({
        client: this.client(),
        subscriber: this.client(),
        prefix: this.redis.prefix,
        clock: this.clock,
      }),
      podId: 'pod-0',
      clock: this.clock,
    });
    await this.startAdmin(0);
  }

  /** Moves the stores' clock forward. */
  advance(ms: number): void {
    this.now += ms;
  }

  /** Stops the admin API and, once the test has done what it does while it is down, starts it again on its port. */
  async restartAdmin(whileDown: () => Promise<void>): Promise<void> {
    const port = Number(new URL(this.url).port);
    await this.app?.close();
    this.app = undefined;
    await whileDown();
    await this.startAdmin(port);
  }

  /** The API as another SRE's script calls it. */
  async api(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async stop(): Promise<void> {
    await this.pod?.close().catch(() => {});
    await this.app?.close().catch(() => {});
    await this.store?.close().catch(() => {});
    for (const client of this.clients) client.disconnect();
    await this.redis?.release().catch(() => {});
    // Anything else this worker started through the harness.
    await stopAll();
  }

  /** The admin API on a real port: 0 for any, or the port it had, to restart it in place. */
  private async startAdmin(port: number): Promise<void> {
    const app = buildAdminApp({ store: this.store, tokens: tokenConfig(Date.now()) });
    this.url = await app.listen({ host: '127.0.0.1', port });
    this.app = app;
  }

  private client(): Redis {
    const client = new Redis(this.redis.url);
    this.clients.push(client);
    return client;
  }
}

interface WorkerFixtures {
  servers: Servers;
  /** The operator's tab, signed in, open from the first test to the last, as an SRE keeps one through an incident. */
  operator: AdminPage;
}

interface TestFixtures {
  /** Opens another tab, in a context of its own, signed in with this token; closed after the test. */
  openPage: (token: string) => Promise<AdminPage>;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  servers: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
    async ({}, use) => {
      const servers = await Servers.start();
      await use(servers);
      await servers.stop();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  operator: [
    async ({ browser, servers }, use) => {
      const admin = await AdminPage.open(browser, servers.url);
      await admin.signIn(SECRETS.operator);
      await use(admin);
      await admin.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  openPage: async ({ browser, servers }, use) => {
    const opened: AdminPage[] = [];
    await use(async (token) => {
      const admin = await AdminPage.open(browser, servers.url);
      opened.push(admin);
      await admin.signIn(token);
      return admin;
    });
    for (const admin of opened) await admin.close();
    for (const admin of opened) admin.expectClean();
  },
});

export { expect };
