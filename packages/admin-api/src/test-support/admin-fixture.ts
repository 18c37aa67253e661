// Shared by the unit tests beside the code; excluded from the build.
import { MemoryBreakerStore } from '@breakwater/breaker-core';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp } from '../app.js';
import type { AdminTokenConfig } from '../auth/admin-token.js';
import type { AdminAppOptions } from '../options.js';

export const T0 = 1_800_000_000_000;

export const SECRETS = Object.freeze({
  operator: 'operator-secret-000000001',
  operator2: 'operator-secret-000000002',
  viewer: 'viewer-secret-0000000001',
  expired: 'expired-secret-000000001',
});

export const TOKEN_CONFIG: AdminTokenConfig[] = [
  { name: 'olga', role: 'operator', token: SECRETS.operator },
  { name: 'oscar', role: 'operator', token: SECRETS.operator2 },
  { name: 'vic', role: 'viewer', token: SECRETS.viewer },
  { name: 'ex', role: 'operator', token: SECRETS.expired, expiresAt: T0 - 1 },
];

export function bearer(secret: string): { authorization: string } {
  return { authorization: `Bearer ${secret}` };
}

export const AS_OPERATOR = bearer(SECRETS.operator);
export const AS_VIEWER = bearer(SECRETS.viewer);

/** A hand-driven clock (ms since epoch). */
export interface FakeClock {
  readonly clock: () => number;
  advance(ms: number): void;
}

export function fakeClock(start = T0): FakeClock {
  let now = start;
  return {
    clock: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface AdminFixture {
  readonly app: FastifyInstance;
  readonly store: MemoryBreakerStore;
  readonly time: FakeClock;
}

/** An app over a MemoryBreakerStore holding `pusher` and `billing`, app and store on one fake clock. */
export async function adminFixture(options: Partial<AdminAppOptions> = {}): Promise<AdminFixture> {
  const time = fakeClock();
  const store = new MemoryBreakerStore({ clock: time.clock });
  await store.register('pusher');
  await store.register('billing');
  const app = buildAdminApp({ store, tokens: TOKEN_CONFIG, clock: time.clock, ...options });
  await app.ready();
  return { app, store, time };
}
