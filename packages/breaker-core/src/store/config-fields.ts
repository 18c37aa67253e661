import { type BreakerConfig, canonicalConfigJson, configHash } from '../config/breaker-config.js';

/**
 * The config as script arguments: hash, canonical JSON, then field/value pairs
 * that lua/includes/load.lua reads back (`rateThreshold` empty = no rate rule;
 * `minFailureRatio` absent, as in configs stored before it existed = 0).
 */
export function configArgs(config: BreakerConfig): string[] {
  return [
    configHash(config),
    canonicalConfigJson(config),
    'windowMs',
    String(config.windowMs),
    'bucketMs',
    String(config.bucketMs),
    'failureThreshold',
    String(config.failureThreshold),
    'minFailureRatio',
    String(config.minFailureRatio),
    'rateThreshold',
    config.failureRate ? String(config.failureRate.threshold) : '',
    'minimumCalls',
    config.failureRate ? String(config.failureRate.minimumCalls) : '',
    'quorum',
    String(config.quorum),
    'cooldownMs',
    String(config.cooldownMs),
    'cooldownMultiplier',
    String(config.cooldownMultiplier),
    'maxCooldownMs',
    String(config.maxCooldownMs),
    'cooldownJitter',
    String(config.cooldownJitter),
    'probeLeaseMs',
    String(config.probeLeaseMs),
    'successThreshold',
    String(config.successThreshold),
    'mode',
    config.mode,
  ];
}
