import {
  BREAKER_NAME_PATTERN,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  MAX_REASON_LENGTH,
} from '@breakwater/breaker-core';
import { type Static, Type } from '@sinclair/typebox';
import { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from '../limits.js';
import { StringEnum } from './string-enum.js';

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

const DAY_MS = 86_400_000;
const int = (minimum: number, maximum: number, description: string) =>
  Type.Optional(Type.Integer({ minimum, maximum, description }));
const ratio = (minimum: number, maximum: number, description: string) =>
  Type.Optional(Type.Number({ minimum, maximum, description }));

/**
 * The fields of a breaker config (breaker-core's BreakerConfig), every one
 * optional: those given replace the stored values, the rest stay. Per-field
 * bounds are checked here; the rules across fields (windowMs a multiple of
 * bucketMs with at most 600 buckets, maxCooldownMs ≥ cooldownMs) by
 * breaker-core on the merged config, also before anything is written.
 */
export const ConfigPatchSchema = Type.Object(
  {
    windowMs: int(1_000, 3_600_000, 'Sliding window length, ms (1 s – 1 h)'),
    bucketMs: int(100, 3_600_000, 'Bucket width, ms; windowMs a multiple of it, at most 600 buckets'),
    failureThreshold: int(1, 1_000_000_000, 'Trip at this many failures in the window…'),
    minFailureRatio: ratio(0, 1, '…that are also at least this share of the calls (0 = the count alone)'),
    failureRate: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              // Above 0 (breaker-core checks it: OpenAPI 3.0 has no numeric exclusiveMinimum).
              threshold: Type.Number({ minimum: 0, maximum: 1, description: 'Failure rate that trips, in (0, 1]' }),
              minimumCalls: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ],
        { description: 'Optional rate rule, or null for none' },
      ),
    ),
    quorum: int(1, 1_000, 'Distinct pods that must have reported failures'),
    cooldownMs: int(100, DAY_MS, 'Open → half-open this long after a trip, ms'),
    cooldownMultiplier: ratio(1, 100, 'Escalation per failed probe (1 = none)'),
    maxCooldownMs: int(100, DAY_MS, 'Cap on the cooldown, ms; at least cooldownMs'),
    cooldownJitter: ratio(0, 1, 'Up to this fraction of the cooldown added per opening'),
    probeLeaseMs: int(100, 3_600_000, 'How long a probe lease is valid, ms'),
    successThreshold: int(1, 100, 'Successful probes to close'),
    mode: Type.Optional(StringEnum(['enforce', 'shadow'] as const, 'shadow: compute and publish, never enforce')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ConfigPatch = Static<typeof ConfigPatchSchema>;

export const ConfigBodySchema = Type.Object(
  {
    reason: ReasonSchema,
    config: ConfigPatchSchema,
  },
  { additionalProperties: false },
);
export type ConfigBody = Static<typeof ConfigBodySchema>;
