/**
 * @breakwater/breaker-core/internal — plumbing the other Breakwater packages
 * (admin-api, listen-client) and this repository's tests and tools share with
 * breaker-core. NOT PUBLIC API: not covered by semver, it changes whenever they
 * need it to. Each of those packages depends on the exact same breaker-core
 * version (`workspace:*` is published as the exact version), so they never meet
 * another release's internals. Applications import `@breakwater/breaker-core`.
 */

// The ms-since-epoch clock every time-dependent default reads.
export { systemClock } from '../clock.js';
// A config with its defaults filled in and checked, and its canonical hash: for tests that
// drive the Lua scripts directly, as the stores do.
export { configHash, resolveBreakerConfig } from '../config/breaker-config.js';
// The Redis key layout, for tests and tools that inspect a breaker's or a ramp's keys.
export { type BreakerKeys, breakerKeys } from '../keys.js';
export { rampKey } from '../ramp/redis-reconnect-ramp.js';
// A Sentinel-managed connection that reconnects after the end ioredis's failover detector can
// give it, and whose sentinel connections cannot crash the process (admin-api's connections).
// No CLUSTER INFO ready check on a Cluster connection without an offline queue: its failures
// are whole reconnects on a doubling backoff (the chaos pods' path probe, admin-api's connections).
export { FAIL_FAST_CLUSTER_READY, outliveFailovers } from '../runtime/fail-fast-client.js';
// Storm-quiet logging: one line per event, then one summary per window, process-wide.
export { REPEAT_WINDOW_MS, RepeatLog, type RepeatTimers } from '../runtime/repeat-log.js';
// What a pod promises about its view (README, "How fresh a pod's view is"), from its options.
export {
  fallbackWithinMs,
  resyncDeadlineMs,
  type ViewTimingOptions,
  viewAgeBoundMs,
} from '../runtime/view-age-bound.js';
// Option checks that throw InvalidArgumentError naming the option, the value and what is allowed.
export { integerInRange, knownKeys, matching, numberInRange, oneOf, plainObject } from '../validate.js';
