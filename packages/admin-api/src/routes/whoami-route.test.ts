import { afterEach, expect, it } from 'vitest';
import {
  type AdminFixture,
  AS_OPERATOR,
  AS_VIEWER,
  adminFixture,
  bearer,
  SECRETS,
} from '../test-support/admin-fixture.js';

let f: AdminFixture;
afterEach(() => f.app.close());

it('GET /v1/whoami names the token and its role, and needs a valid token', async () => {
  f = await adminFixture();
  const operator = await f.app.inject({ url: '/v1/whoami', headers: AS_OPERATOR });
  expect(operator.statusCode).toBe(200);
  expect(operator.json()).toEqual({ name: 'olga', role: 'operator' });
  expect((await f.app.inject({ url: '/v1/whoami', headers: AS_VIEWER })).json()).toEqual({
    name: 'vic',
    role: 'viewer',
  });
  expect((await f.app.inject({ url: '/v1/whoami' })).json().code).toBe('AUTH_REQUIRED');
  expect((await f.app.inject({ url: '/v1/whoami', headers: bearer(SECRETS.expired) })).json().code).toBe(
    'AUTH_EXPIRED',
  );
  expect((await f.app.inject({ url: '/v1/whoami?x=1', headers: AS_VIEWER })).statusCode).toBe(400);
});
