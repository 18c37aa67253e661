import {
  BREAKER_NAME_PATTERN,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  MAX_REASON_LENGTH,
} from '@breakwater/breaker-core';
import { type Static, Type } from '@sinclair/typebox';

import { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from '../limits.js';

export { DEFAULT_AUDIT_LIMIT, MAX_TTL_SECONDS, MIN_TTL_SECONDS };

export const BreakerParamsSchema = Type.Object(
  {
    name: Type.String({
      pattern: BREAKER_NAME_PATTERN.source,
      description: 'Breaker name: 1–64 characters of [A-Za-z0-9_.-], starting alphanumeric',
    }),
  },
  { additionalProperties: false },
);
export type BreakerParams = Static<typeof BreakerParamsSchema>;

/** Why: 1–500 characters, not only whitespace. Shown in snapshots and the audit. */
export const ReasonSchema = Type.String({
  minLength: 1,
  maxLength: MAX_REASON_LENGTH,
  pattern: '\\S',
  description: `Why: 1–${MAX_REASON_LENGTH} characters, not only whitespace`,
});

export const OverrideBodySchema = Type.Object(
  {
    reason: ReasonSchema,
    ttlSeconds: Type.Integer({
      minimum: MIN_TTL_SECONDS,
      maximum: MAX_TTL_SECONDS,
      description: `Seconds until the breaker returns to automatic (${MIN_TTL_SECONDS}–${MAX_TTL_SECONDS})`,
    }),
  },
  { additionalProperties: false },
);
export type OverrideBody = Static<typeof OverrideBodySchema>;

export const ResetBodySchema = Type.Object({ reason: ReasonSchema }, { additionalProperties: false });
export type ResetBody = Static<typeof ResetBodySchema>;

/** The query of routes that take none: an unknown parameter is refused, not ignored. */
export const NoQuerySchema = Type.Object({}, { additionalProperties: false });

export const ClearQuerySchema = Type.Object({ reason: Type.Optional(ReasonSchema) }, { additionalProperties: false });
export type ClearQuery = Static<typeof ClearQuerySchema>;

export const AuditQuerySchema = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_AUDIT_LIMIT,
        description: `Entries to return, newest first (1–${MAX_AUDIT_LIMIT}, default ${DEFAULT_AUDIT_LIMIT})`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuerySchema>;

/** `GET /v1/events?name=`: one breaker, or every breaker without it. */
export const EventsQuerySchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: BREAKER_NAME_PATTERN.source,
        description: 'Follow only this breaker (404 if it does not exist); omit for every breaker',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuerySchema>;

/** The header an EventSource sends when it reconnects. */
export const LastEventIdHeadersSchema = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'The id of the last event received (`<audit id>:<name>`): the transitions since are replayed',
    }),
  ),
});
