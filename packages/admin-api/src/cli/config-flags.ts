import type { ConfigPatch } from '../client/admin-client.js';
import { parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

type Kind = 'integer' | 'number' | 'duration' | 'rate' | 'mode';

/**
 * `breakwater config` flags, one per field of the breaker config. Only the
 * shape is checked here (a whole number, a duration, `0.3:200`); the bounds and
 * the rules across fields are the API's, which answers 400 naming the field.
 */
export const CONFIG_FLAGS: Readonly<Record<string, { readonly field: keyof ConfigPatch; readonly kind: Kind }>> = {
  window: { field: 'windowMs', kind: 'duration' },
  bucket: { field: 'bucketMs', kind: 'duration' },
  'failure-threshold': { field: 'failureThreshold', kind: 'integer' },
  'min-failure-ratio': { field: 'minFailureRatio', kind: 'number' },
  'failure-rate': { field: 'failureRate', kind: 'rate' },
  quorum: { field: 'quorum', kind: 'integer' },
  cooldown: { field: 'cooldownMs', kind: 'duration' },
  'cooldown-multiplier': { field: 'cooldownMultiplier', kind: 'number' },
  'max-cooldown': { field: 'maxCooldownMs', kind: 'duration' },
  'cooldown-jitter': { field: 'cooldownJitter', kind: 'number' },
  'probe-lease': { field: 'probeLeaseMs', kind: 'duration' },
  'success-threshold': { field: 'successThreshold', kind: 'integer' },
  mode: { field: 'mode', kind: 'mode' },
};

export const CONFIG_USAGE = `  --window DUR --bucket DUR                 sliding window and bucket width (e.g. 30s, 1s, 500ms)
  --failure-threshold N                     trip at N failures in the window...
  --min-failure-ratio R                     ...that are also at least R (0-1) of the calls
  --failure-rate R:N | --failure-rate off   also trip at a failure rate R over at least N calls
  --quorum N                                failures from at least N pods
  --cooldown DUR --max-cooldown DUR         first probe after DUR; cap on the escalated cooldown
  --cooldown-multiplier X                   cooldown escalation per failed probe (1 = none)
  --cooldown-jitter R                       up to R (0-1) of the cooldown added per opening
  --probe-lease DUR --success-threshold N   probe lease validity; successful probes to close
  --mode enforce|shadow                     shadow: decide and publish, never refuse calls`;

/** The config fields set by the given flag values, or undefined when none is set. */
export function configPatch(values: Readonly<Record<string, unknown>>): ConfigPatch | undefined {
  const patch: Record<string, unknown> = {};
  for (const [flag, { field, kind }] of Object.entries(CONFIG_FLAGS)) {
    const text = values[flag];
    if (typeof text !== 'string') continue;
    patch[field] = parseValue(`--${flag}`, kind, text.trim());
  }
  return Object.keys(patch).length === 0 ? undefined : (patch as ConfigPatch);
}

function parseValue(flag: string, kind: Kind, text: string): unknown {
  switch (kind) {
    case 'integer':
      if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(text)}`);
      return Number(text);
    case 'number':
      if (!/^\d+(\.\d+)?$/.test(text))
        throw new UsageError(`${flag} must be a number like 0.5, got ${JSON.stringify(text)}`);
      return Number(text);
    case 'duration': {
      const ms = parseDurationMs(text);
      if (ms === undefined) {
        throw new UsageError(`${flag} must be a duration like 500ms, 30s or 5m, got ${JSON.stringify(text)}`);
      }
      return ms;
    }
    case 'rate': {
      if (text === 'off' || text === 'none') return null;
      const m = /^(\d+(?:\.\d+)?):(\d+)$/.exec(text);
      if (!m) throw new UsageError(`${flag} must be RATE:CALLS like 0.3:200, or off; got ${JSON.stringify(text)}`);
      return { threshold: Number(m[1]), minimumCalls: Number(m[2]) };
    }
    case 'mode':
      if (text !== 'enforce' && text !== 'shadow') {
        throw new UsageError(`${flag} must be enforce or shadow, got ${JSON.stringify(text)}`);
      }
      return text;
  }
}
