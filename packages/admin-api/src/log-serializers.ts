import type { FastifyRequest } from 'fastify';

/** What the request log records of a request (Fastify's `req` serializer records the raw URL). */
export interface LoggedRequest {
  readonly method: string;
  /** The matched route's pattern (`/v1/breakers/:name`), or null when no route matched. */
  readonly route: string | null;
  readonly remoteAddress: string | undefined;
}

/**
 * The request log never holds the URL: a caller may paste a token into the
 * query string (`?access_token=…`) or a path segment, and the raw URL would
 * carry it into the log. The route pattern says which route was called; a
 * path that matched no route is not logged at all, since any segment of it
 * could be the secret.
 */
export function serializeRequest(request: FastifyRequest): LoggedRequest {
  return {
    method: request.method,
    route: request.routeOptions?.url ?? null,
    remoteAddress: request.ip,
  };
}

/**
 * For the standalone app's logger and, as `logSerializers`, for the routes of
 * the mounted plugin (a host's own unmatched requests are logged by its logger).
 */
export const ADMIN_LOG_SERIALIZERS = Object.freeze({ req: serializeRequest });
