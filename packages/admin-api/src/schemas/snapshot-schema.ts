import { BREAKER_STATES } from '@breakwater/breaker-core';
import { type Static, Type } from '@sinclair/typebox';
import { Nullable, StringEnum } from './string-enum.js';

const EpochMs = (description: string) => Type.Number({ description: `${description} (ms since epoch, store clock)` });

export const BreakerStateSchema = StringEnum(BREAKER_STATES, 'The state callers obey');
const AutomaticStateSchema = StringEnum(['closed', 'open', 'half_open'] as const);
const ModeSchema = StringEnum(['enforce', 'shadow'] as const);

export const BreakerConfigSchema = Type.Object(
  {
    windowMs: Type.Integer(),
    bucketMs: Type.Integer(),
    failureThreshold: Type.Integer(),
    minFailureRatio: Type.Number({ description: 'The failure count trips only at this share of the calls, too' }),
    failureRate: Nullable(Type.Object({ threshold: Type.Number(), minimumCalls: Type.Integer() })),
    quorum: Type.Integer(),
    cooldownMs: Type.Integer(),
    cooldownMultiplier: Type.Number(),
    maxCooldownMs: Type.Integer(),
    cooldownJitter: Type.Number(),
    probeLeaseMs: Type.Integer(),
    successThreshold: Type.Integer(),
    mode: ModeSchema,
  },
  { description: 'The rules every pod applies (stored with the breaker)' },
);

/** One breaker as the store sees it (breaker-core's BreakerSnapshot). */
export const SnapshotSchema = Type.Object(
  {
    name: Type.String(),
    state: BreakerStateSchema,
    automaticState: AutomaticStateSchema,
    generation: Type.Integer({ description: 'Bumped by every transition and manual action' }),
    incarnation: Type.Optional(
      Type.String({ description: 'Which life of the breaker: new when the store lost it and re-created it' }),
    ),
    mode: ModeSchema,
    window: Type.Object(
      { failures: Type.Integer(), successes: Type.Integer(), failingPods: Type.Integer() },
      { description: 'Outcomes inside the sliding window' },
    ),
    openedAt: Nullable(EpochMs('When the current opening began')),
    cooldownUntil: Nullable(EpochMs('When open turns half_open')),
    probeFailures: Type.Integer(),
    halfOpenSuccesses: Type.Integer(),
    probe: Nullable(
      Type.Object(
        { holder: Type.String({ description: 'Pod holding the probe lease' }), expiresAt: EpochMs('Lease expiry') },
        { description: 'The live probe lease' },
      ),
    ),
    override: Nullable(
      Type.Object(
        {
          mode: StringEnum(['forced_open', 'forced_closed'] as const),
          reason: Type.String(),
          actor: Type.String({ description: 'Name of the token that set it' }),
          setAt: EpochMs('When it was set'),
          expiresAt: EpochMs('When the breaker returns to automatic'),
        },
        { description: 'The active manual override' },
      ),
    ),
    configHash: Type.String(),
    config: BreakerConfigSchema,
    at: EpochMs('When this snapshot was taken'),
  },
  { title: 'BreakerSnapshot' },
);

export type SnapshotBody = Static<typeof SnapshotSchema>;

export const BreakerListSchema = Type.Object({
  breakers: Type.Array(SnapshotSchema),
  truncated: Type.Boolean({ description: 'True when more breakers exist than the server lists at once' }),
});
