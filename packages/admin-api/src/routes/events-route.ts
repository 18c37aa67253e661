import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AdminApiError } from '../errors/admin-api-error.js';
import { BreakerFeed } from '../events/breaker-feed.js';
import { parseCursor } from '../events/event-cursor.js';
import { EventStream } from '../events/event-stream.js';
import { openingEvents } from '../events/stream-events.js';
import { errorResponses } from '../schemas/error-schema.js';
import { EventsQuerySchema, LastEventIdHeadersSchema } from '../schemas/request-schemas.js';
import { BEARER_SECURITY, principalOf, type RouteDeps } from './route-deps.js';

/** `Retry-After` of a stream refused for a limit, seconds: streams are long-lived, so not sooner. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

const DESCRIPTION = `Role: viewer. Server-Sent Events (\`text/event-stream\`), one breaker with \`?name=\` or every breaker.
Events: \`snapshot\` (data: a BreakerSnapshot; one per breaker on connect, and for a breaker that appears later),
\`transition\` (data: \`{ transition, snapshot, replayed }\`; id \`<audit id>:<name>\`), \`ready\` (data:
\`{ breakers, truncated, resumed, gaps, heartbeatMs }\`; ends the opening), \`removed\` (data: \`{ name }\`), and a
comment line every heartbeatMs. Reconnect with \`Last-Event-ID\` to get the transitions missed since (replayed from
the audit log). See the package README for the full contract.`;

/** `GET /v1/events` (viewer): the live event stream. */
export const eventsRoute: FastifyPluginAsyncTypebox<RouteDeps> = async (app, deps) => {
  const { store, metrics, events, maxListedBreakers } = deps;
  const feed = new BreakerFeed({
    store,
    maxBreakers: maxListedBreakers,
    registryScanMs: events.registryScanMs,
    log: app.log,
  });
  const open = new Set<EventStream>();
  const perToken = new Map<string, number>();

  app.addHook('preClose', async () => {
    for (const stream of open) stream.end('server_closing');
    feed.close();
  });

  app.get(
    '/v1/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['breakers'],
        summary: 'Live stream of breaker transitions and snapshots (Server-Sent Events)',
        description: DESCRIPTION,
        security: BEARER_SECURITY,
        querystring: EventsQuerySchema,
        headers: LastEventIdHeadersSchema,
        response: {
          200: {
            description: 'The event stream; it stays open until the client or the server ends it.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const retryAfter = { 'retry-after': String(STREAM_RETRY_AFTER_SECONDS) };
      if (open.size >= events.maxStreams) {
        throw new AdminApiError(
          'TOO_MANY_STREAMS',
          `the server already serves ${events.maxStreams} event streams; retry later`,
          { headers: retryAfter },
        );
      }
      const held = perToken.get(principal.name) ?? 0;
      if (held >= events.maxStreamsPerToken) {
        throw new AdminApiError(
          'TOO_MANY_STREAMS_FOR_TOKEN',
          `token "${principal.name}" already holds ${events.maxStreamsPerToken} event streams; close one first`,
          { headers: retryAfter },
        );
      }
      const name = request.query.name;
      const stream = new EventStream({
        name,
        heartbeatMs: events.heartbeatMs,
        maxBufferedBytes: events.maxBufferedBytes,
        metrics,
        cut: () => reply.raw.destroy(),
        onEnd: (reason) => {
          // A client that went away may leave its socket half-open: close it, or the server's close
          // would wait for it. A stream ended by the server ended its response; its socket is idle.
          // One that never opened is being answered with an error: leave that reply alone.
          if (reason === 'client_closed' || reason === 'slow_consumer') reply.raw.destroy();
          feed.detach(stream);
          open.delete(stream);
          const left = (perToken.get(principal.name) ?? 1) - 1;
          if (left > 0) perToken.set(principal.name, left);
          else perToken.delete(principal.name);
          metrics.eventStreams.dec();
          if (reason !== undefined) metrics.eventStreamDisconnects.inc({ reason });
        },
      });
      // The slot is taken before anything is awaited, so concurrent connects cannot overshoot the bounds.
      open.add(stream);
      perToken.set(principal.name, held + 1);
      metrics.eventStreams.inc();
      try {
        const scope = await feed.attach(stream);
        const opening = await openingEvents(
          store,
          { ...scope, single: name !== undefined },
          parseCursor(request.headers['last-event-id']),
          events,
        );
        stream.open(opening);
      } catch (err) {
        stream.body.destroy(); // ends it: detached, slot given back (not counted as a disconnect: it never opened)
        throw err;
      }
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      // The type provider knows only the declared bodies; a stream is piped as is.
      return reply.send(stream.body as never);
    },
  );
};
