import type { BreakerSnapshot } from '../state/breaker-state.js';
import type { BreakerStore } from '../store/breaker-store.js';
import { MemoryBreakerStore } from '../store/memory-store.js';
import { RedisBreakerStore, type RedisClient } from '../store/redis-store.js';
import type { ViewSource } from './breaker-events.js';
import { ClusterBreaker } from './cluster-breaker.js';
import { CONSTRUCT, START } from './cluster-breaker-parts.js';
import { openBreakerConnections, whenReady } from './fail-fast-client.js';
import { type ClusterBreakerOptions, resolveClusterBreakerOptions } from './options.js';
import { StoreDeadline } from './store-deadline.js';
import { storeErrorKind } from './store-error-kind.js';

/**
 * Creates this pod's handle on a breaker shared through Redis (or any store).
 * Registers the breaker (storing `config` if it is new), subscribes to its
 * transitions and starts the flush and resync timers.
 *
 * Never rejects because Redis is down or slow: after `startTimeoutMs` (waiting
 * for the connection) plus `commandTimeoutMs` (the registration, under the same
 * deadline as every shared call) it starts on its local fallback and joins the
 * shared state when the store answers. Rejects
 * only for invalid options (InvalidArgumentError, nothing opened).
 */
export async function createClusterBreaker(options: ClusterBreakerOptions): Promise<ClusterBreaker> {
  const o = resolveClusterBreakerOptions(options);
  const log = o.logger.child({ breaker: o.name, podId: o.podId });

  let shared: BreakerStore;
  let client: RedisClient | undefined;
  let subscriber: RedisClient | undefined;
  let owned: RedisClient[] = [];
  if (options.store) {
    shared = options.store;
  } else {
    const connections = openBreakerConnections(
      options.redis as NonNullable<ClusterBreakerOptions['redis']>,
      o.commandTimeoutMs,
      o.reconnectMaxDelayMs,
    );
    client = connections.command;
    subscriber = connections.subscriber;
    owned = [connections.command, connections.subscriber];
    shared = new RedisBreakerStore({ client, subscriber: connections.subscriber, prefix: o.prefix });
  }

  const deadline = new StoreDeadline(o.commandTimeoutMs);
  const local = new MemoryBreakerStore({ clock: o.clock });
  const fallback = await local.register(o.name, o.config);

  let initial: BreakerSnapshot = fallback.snapshot;
  let source: ViewSource = 'local';
  let drift = false;
  if (client) await whenReady(client, o.startTimeoutMs);
  try {
    const registered = await deadline.run('register', () => shared.register(o.name, o.config));
    initial = registered.snapshot;
    source = 'shared';
    drift = registered.configDrift;
  } catch (err) {
    if (storeErrorKind(err) === 'bug') {
      for (const c of owned) c.disconnect();
      throw err;
    }
    log.warn({ err }, 'shared breaker state unreachable at start: starting on the local breaker');
  }

  const breaker = new ClusterBreaker(CONSTRUCT, {
    options: o,
    shared,
    local,
    client,
    subscriber,
    owned,
    ownsShared: !options.store,
    deadline,
    initial,
    source,
    configDrift: drift,
  });
  await breaker[START]();
  return breaker;
}
