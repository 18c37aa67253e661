/**
 * @breakwater/breaker-core — one circuit breaker shared by every pod, its state
 * in Redis (or in memory for one process).
 *
 * What an application needs: the pod-side breaker (`createClusterBreaker`), the
 * stores behind it, the reconnect ramp, their options, defaults, events, states
 * and errors. Plumbing shared with the other Breakwater packages (option
 * validators, storm-quiet logging, the key layout) is in
 * `@breakwater/breaker-core/internal`, which is not public API.
 * `src/public-api.test.ts` pins this list.
 */

export type { Clock } from './clock.js';
export {
  type BreakerConfig,
  type BreakerConfigInput,
  type BreakerMode,
  DEFAULT_BREAKER_CONFIG,
  type FailureRateRule,
} from './config/breaker-config.js';
export { BreakerNotFoundError, isBreakerNotFoundError } from './errors/breaker-not-found-error.js';
export { BreakerOpenError, isBreakerOpenError } from './errors/breaker-open-error.js';
export { BreakwaterError, type BreakwaterErrorCode, isBreakwaterError } from './errors/breakwater-error.js';
export { InvalidArgumentError, isInvalidArgumentError } from './errors/invalid-argument-error.js';
export { isNotRegisteredError, NotRegisteredError } from './errors/not-registered-error.js';
export { isStoreUnavailableError, StoreUnavailableError } from './errors/store-unavailable-error.js';
export { MemoryReconnectRamp, type MemoryReconnectRampOptions } from './ramp/memory-reconnect-ramp.js';
export type { ReconnectRampRules } from './ramp/ramp-rules.js';
export {
  DEFAULT_RECONNECT_RAMP_OPTIONS,
  RAMP_OUTCOMES,
  type RampAdmission,
  type RampDecision,
  type RampFeedback,
  type RampOutcome,
  type RampStatus,
  type ReconnectRamp,
  type ReconnectRampOptions,
} from './ramp/reconnect-ramp.js';
export {
  DEFAULT_REDIS_RECONNECT_RAMP_OPTIONS,
  RedisReconnectRamp,
  type RedisReconnectRampOptions,
} from './ramp/redis-reconnect-ramp.js';
export type {
  ConfigDriftEvent,
  ProbeGrantedEvent,
  ProbeReportedEvent,
  StateChangeEvent,
  StoreDegradedEvent,
  StoreRecoveredEvent,
  ViewSource,
} from './runtime/breaker-events.js';
export type { BreakwaterLogger } from './runtime/breakwater-logger.js';
export { ClusterBreaker, isClusterBreaker } from './runtime/cluster-breaker.js';
export { createClusterBreaker } from './runtime/create-cluster-breaker.js';
export { type ClusterBreakerOptions, DEFAULT_CLUSTER_BREAKER_OPTIONS } from './runtime/options.js';
export { isStoreTimeoutError, StoreTimeoutError } from './runtime/store-timeout-error.js';
export {
  type AuditEntry,
  type AutomaticState,
  admitsCalls,
  BREAKER_STATES,
  type BreakerAction,
  type BreakerOverride,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerTransition,
  type OverrideMode,
  type ProbeHolder,
  type WindowCounts,
} from './state/breaker-state.js';
export type { ProbeLease, ProbeOutcome } from './state/probe-lease.js';
export type {
  AcquireProbeReply,
  ActorRequest,
  BreakerStore,
  ClearOverrideRequest,
  Disposable,
  OverrideRequest,
  RecordReply,
  RegisterReply,
  ReportProbeReply,
} from './store/breaker-store.js';
export {
  DEFAULT_MEMORY_STORE_OPTIONS,
  MemoryBreakerStore,
  type MemoryBreakerStoreOptions,
} from './store/memory-store.js';
export {
  DEFAULT_REDIS_STORE_OPTIONS,
  RedisBreakerStore,
  type RedisBreakerStoreOptions,
  type RedisClient,
} from './store/redis-store.js';
export {
  BREAKER_NAME_PATTERN,
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_LIMIT,
  MAX_OVERRIDE_TTL_MS,
  MAX_REASON_LENGTH,
  MIN_OVERRIDE_TTL_MS,
} from './store/store-input.js';
