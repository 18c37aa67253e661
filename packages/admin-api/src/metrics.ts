import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The Prometheus metrics the admin API exports (documented in README.md). */
export const ADMIN_METRIC_NAMES = Object.freeze({
  requests: 'breakwater_admin_http_requests_total',
  requestDuration: 'breakwater_admin_http_request_duration_seconds',
  actions: 'breakwater_admin_actions_total',
  authFailures: 'breakwater_admin_auth_failures_total',
  rateLimited: 'breakwater_admin_rate_limited_total',
  eventStreams: 'breakwater_admin_event_streams',
  eventsSent: 'breakwater_admin_events_sent_total',
  eventStreamDisconnects: 'breakwater_admin_event_stream_disconnects_total',
});

/** Why an event stream ended (the `reason` label of eventStreamDisconnects). */
export type StreamEndReason = 'client_closed' | 'slow_consumer' | 'server_closing';

/**
 * The admin API's metrics on a registry the caller owns. Labels are bounded:
 * `route` is the route pattern (`/v1/breakers/:name`), never the raw URL.
 * Two apps on one registry share the metrics instead of failing to register.
 */
export class AdminMetrics {
  readonly requests: Counter<'method' | 'route' | 'status_code'>;
  readonly requestDuration: Histogram<'method' | 'route'>;
  /** Mutations the store accepted, by action (force_open, force_close, clear_override, reset, config_update); a clear without an override counts too. */
  readonly actions: Counter<'action'>;
  /** Refused credentials, by reason (AUTH_REQUIRED, AUTH_INVALID, AUTH_EXPIRED, FORBIDDEN). */
  readonly authFailures: Counter<'reason'>;
  readonly rateLimited: Counter;
  /** Event streams (`GET /v1/events`) open now. */
  readonly eventStreams: Gauge;
  /** Events written to streams, by event name (snapshot, transition, ready, removed); heartbeats are not events. */
  readonly eventsSent: Counter<'event'>;
  /** Event streams that ended, by reason: client_closed, slow_consumer, server_closing. */
  readonly eventStreamDisconnects: Counter<'reason'>;
  readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
    this.requests = reuse(registry, ADMIN_METRIC_NAMES.requests, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.requests,
        help: 'Admin API requests answered, by method, route pattern and status code.',
        labelNames: ['method', 'route', 'status_code'] as const,
        registers: [registry],
      });
    });
    this.requestDuration = reuse(registry, ADMIN_METRIC_NAMES.requestDuration, () => {
      return new Histogram({
        name: ADMIN_METRIC_NAMES.requestDuration,
        help: 'Admin API response time in seconds, by method and route pattern.',
        labelNames: ['method', 'route'] as const,
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      });
    });
    this.actions = reuse(registry, ADMIN_METRIC_NAMES.actions, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.actions,
        help: 'Breaker mutations accepted through the admin API, by action (a clear without an override counts too).',
        labelNames: ['action'] as const,
        registers: [registry],
      });
    });
    this.authFailures = reuse(registry, ADMIN_METRIC_NAMES.authFailures, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.authFailures,
        help: 'Requests refused for their credentials, by reason code.',
        labelNames: ['reason'] as const,
        registers: [registry],
      });
    });
    this.rateLimited = reuse(registry, ADMIN_METRIC_NAMES.rateLimited, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.rateLimited,
        help: 'Mutations refused with 429 because their token exceeded the rate limit.',
        registers: [registry],
      });
    });
    this.eventStreams = reuse(registry, ADMIN_METRIC_NAMES.eventStreams, () => {
      return new Gauge({
        name: ADMIN_METRIC_NAMES.eventStreams,
        help: 'Event streams (GET /v1/events) open now.',
        registers: [registry],
      });
    });
    this.eventsSent = reuse(registry, ADMIN_METRIC_NAMES.eventsSent, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.eventsSent,
        help: 'Server-Sent Events written to event streams, by event name.',
        labelNames: ['event'] as const,
        registers: [registry],
      });
    });
    this.eventStreamDisconnects = reuse(registry, ADMIN_METRIC_NAMES.eventStreamDisconnects, () => {
      return new Counter({
        name: ADMIN_METRIC_NAMES.eventStreamDisconnects,
        help: 'Event streams that ended, by reason (client_closed, slow_consumer, server_closing).',
        labelNames: ['reason'] as const,
        registers: [registry],
      });
    });
  }
}

function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
