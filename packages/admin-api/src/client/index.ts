/**
 * @breakwater/admin-api/client — a typed client of the admin API over HTTP
 * (what the `breakwater` CLI speaks), its errors, and the error codes the API
 * answers with. Loads no server code (no Fastify): for scripts and tools that
 * drive the API from elsewhere.
 */

export { ADMIN_ERROR_CODES, ADMIN_ERROR_STATUS, type AdminErrorCode } from '../errors/error-codes.js';
export {
  AdminClient,
  type AdminClientOptions,
  type AdminEventsOptions,
  type AdminStreamEvent,
  type ConfigPatch,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
} from './admin-client.js';
export { AdminRequestAbortedError, AdminRequestError, AdminUnreachableError } from './admin-client-errors.js';
export type { ReadyEventBody, TransitionEventBody, TransitionFields } from './stream-event-types.js';
