import { matching } from './validate.js';

/**
 * Redis key layout. Every key of one breaker carries the same `{hash tag}`
 * (the breaker name), so each script touches a single slot and runs on Redis
 * Cluster as on a single Redis.
 *
 * | key                       | type   | holds                                             | bound            |
 * |---------------------------|--------|---------------------------------------------------|------------------|
 * | `<p>:{<name>}:state`      | hash   | incarnation, automatic state, generation, cooldown, lease, override | fixed fields |
 * | `<p>:{<name>}:config`     | hash   | the stored rules and their hash                   | fixed fields     |
 * | `<p>:{<name>}:window`     | hash   | ring of buckets `e<i>`/`f<i>`/`s<i>`              | 3 × buckets      |
 * | `<p>:{<name>}:pods`       | zset   | pod → time of its latest failure                  | window + 10,000  |
 * | `<p>:{<name>}:audit`      | stream | transitions and manual actions                    | MAXLEN           |
 * | `<p>:breakers`            | zset   | name → when a store last listed it (for list())   | TTL, see below   |
 * | channel `<p>:{<name>}:events` | pub/sub | one JSON message per transition           | —                |
 *
 * Every key has a TTL (RedisBreakerStore's keyTtlMs). The scripts set it on the
 * five breaker keys when a call writes the state or creates a key, else once the
 * state key has less than half left; the store itself refreshes the registry
 * (no hash tag, so no script may touch it) from register(), and from record() and
 * snapshot() once per keyTtlMs / 2. docs/architecture.md has the details.
 */
export interface BreakerKeys {
  readonly state: string;
  readonly config: string;
  readonly window: string;
  readonly pods: string;
  readonly audit: string;
  readonly channel: string;
}

export const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function checkKeyPrefix(prefix: unknown): string {
  return matching(
    'prefix',
    prefix,
    KEY_PREFIX_PATTERN,
    '1–64 characters of [A-Za-z0-9_.:-] (no braces: they would break the hash tag)',
  );
}

export function breakerKeys(prefix: string, name: string): BreakerKeys {
  const base = `${prefix}:{${name}}`;
  return {
    state: `${base}:state`,
    config: `${base}:config`,
    window: `${base}:window`,
    pods: `${base}:pods`,
    audit: `${base}:audit`,
    channel: `${base}:events`,
  };
}

/** The five keys every script receives, in KEYS order. */
export function scriptKeys(keys: BreakerKeys): [string, string, string, string, string] {
  return [keys.state, keys.config, keys.window, keys.pods, keys.audit];
}

export function registryKey(prefix: string): string {
  return `${prefix}:breakers`;
}

/** Recovers the breaker name from a channel name, or undefined if it is not one of ours. */
export function nameFromChannel(prefix: string, channel: string): string | undefined {
  const head = `${prefix}:{`;
  const tail = '}:events';
  if (!channel.startsWith(head) || !channel.endsWith(tail)) return undefined;
  return channel.slice(head.length, channel.length - tail.length);
}
