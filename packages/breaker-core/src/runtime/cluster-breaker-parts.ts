import type { BreakerSnapshot } from '../state/breaker-state.js';
import type { BreakerStore } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { RedisClient } from '../store/redis-store.js';
import type { ViewSource } from './breaker-events.js';
import type { ResolvedClusterBreakerOptions } from './options.js';
import type { StoreDeadline } from './store-deadline.js';

/**
 * Keys only createClusterBreaker() holds (index.ts exports neither), so users
 * can neither construct a ClusterBreaker nor start one twice.
 */
export const CONSTRUCT = Symbol('ClusterBreaker.construct');
export const START = Symbol('ClusterBreaker.start');

/** What createClusterBreaker() hands a new ClusterBreaker: connections, stores and where the pod starts. */
export interface ClusterBreakerParts {
  readonly options: ResolvedClusterBreakerOptions;
  /** The shared store (Redis, or what the caller gave). */
  readonly shared: BreakerStore;
  /** Same rules in this process: the fallback while the shared store is unreachable. */
  readonly local: MemoryBreakerStore;
  /** The breaker's own command connection, when it owns one: its status gates calls. */
  readonly client?: RedisClient;
  /** The breaker's own subscriber connection, when it owns one: its 'ready' means "resubscribed, resync". */
  readonly subscriber?: RedisClient;
  /** Connections to close on close(). */
  readonly owned: readonly RedisClient[];
  /** Whether close() closes `shared` (not when the caller passed its own store). */
  readonly ownsShared: boolean;
  /** The deadline every call to `shared` runs under (commandTimeoutMs); the registration ran under it. */
  readonly deadline: StoreDeadline;
  /** Where the pod starts: the shared store's reply to the registration, or else the local breaker's state. */
  readonly initial: BreakerSnapshot;
  readonly source: ViewSource;
  /** The registration found a different stored config. */
  readonly configDrift: boolean;
}
