import { expect, it } from 'vitest';
import { publicApi } from '../../../scripts/public-api.js';

/**
 * Everything @breakwater/admin-api exports, per entry of its package.json
 * `exports`: runtime names (`values`) and type-only names (`types`). A change
 * here is a change to what users can import: decide it, note it in README.md.
 * The bins are not entries: they run src/bin/*.ts, which import the rest directly.
 */
const PUBLIC_API = {
  '.': {
    values: [
      'ADMIN_LOG_SERIALIZERS',
      'ADMIN_REDIS_OPTIONS',
      'DEFAULT_ADMIN_OPTIONS',
      'DEFAULT_SERVER_CONFIG',
      'VERSION',
      'adminApiPlugin',
      'buildAdminApp',
      'loadServerConfig',
      'redisReadiness',
      'startAdminServer',
    ],
    types: [
      'AdminApiOptions',
      'AdminAppOptions',
      'AdminRedisTarget',
      'AdminServerConfig',
      'AdminTokenConfig',
      'EventStreamOptions',
      'RateLimitOptions',
      'Readiness',
      'Role',
      'RouteAccess',
      'RunningAdminServer',
    ],
  },
  './client': {
    values: [
      'ADMIN_ERROR_CODES',
      'ADMIN_ERROR_STATUS',
      'AdminClient',
      'AdminRequestAbortedError',
      'AdminRequestError',
      'AdminUnreachableError',
      'DEFAULT_CLIENT_TIMEOUT_MS',
      'DEFAULT_STREAM_IDLE_TIMEOUT_MS',
    ],
    types: [
      'AdminClientOptions',
      'AdminErrorCode',
      'AdminEventsOptions',
      'AdminStreamEvent',
      'ConfigPatch',
      'ReadyEventBody',
      'TransitionEventBody',
      'TransitionFields',
    ],
  },
};

it('exports exactly the pinned names from each entry', async () => {
  expect(await publicApi(new URL('../', import.meta.url))).toEqual(PUBLIC_API);
}, 60_000);
