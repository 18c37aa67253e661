import type { BreakerConfig } from '../config/breaker-config.js';

/**
 * Cooldown for an opening after `probeFailures` consecutive failed probes:
 * `cooldownMs × multiplier^probeFailures` plus up to `cooldownJitter` of itself,
 * never more than `maxCooldownMs`: the cap is applied again after the jitter,
 * because operators read it as the longest the breaker stays open. Multiplied
 * step by step (not `**`) and jittered by a deterministic hash of (generation,
 * now) so lua/includes/cooldown.lua computes the identical number: both stores
 * must agree to the millisecond.
 */
export function cooldownFor(config: BreakerConfig, probeFailures: number, generation: number, now: number): number {
  let cooldown = config.cooldownMs;
  for (let i = 0; i < probeFailures; i++) {
    cooldown = cooldown * config.cooldownMultiplier;
    if (cooldown >= config.maxCooldownMs) {
      cooldown = config.maxCooldownMs;
      break;
    }
  }
  cooldown = Math.floor(cooldown);
  if (config.cooldownJitter > 0) {
    cooldown += Math.floor(cooldown * config.cooldownJitter * jitterUnit(generation, now));
  }
  return Math.min(cooldown, config.maxCooldownMs);
}

const P = 1_000_003;

/** A value in [0, 1) spread over generations and time; identical in Lua (all products stay < 2^53). */
export function jitterUnit(generation: number, now: number): number {
  return (((generation % P) * 7_919 + (now % P)) % P) / P;
}
