import { Type } from '@sinclair/typebox';
import { BreakerConfigSchema, BreakerStateSchema } from './snapshot-schema.js';
import { StringEnum } from './string-enum.js';

export const BREAKER_ACTIONS = [
  'trip',
  'half_open',
  'close',
  'reopen',
  'force_open',
  'force_close',
  'clear_override',
  'override_expired',
  'reset',
  'config_update',
] as const;

export const AuditEntrySchema = Type.Object({
  id: Type.String({ description: 'The audit stream id' }),
  at: Type.Number({ description: 'ms since epoch, store clock' }),
  actor: Type.String({ description: 'Token name for manual actions; pod id or "system" otherwise' }),
  action: StringEnum(BREAKER_ACTIONS),
  from: BreakerStateSchema,
  to: BreakerStateSchema,
  generation: Type.Integer(),
  reason: Type.String(),
  config: Type.Optional(
    Type.Object(
      { from: BreakerConfigSchema, to: BreakerConfigSchema },
      { description: 'config_update only: the stored rules before and after' },
    ),
  ),
});

export const AuditListSchema = Type.Object({
  entries: Type.Array(AuditEntrySchema, { description: 'Newest first' }),
});
