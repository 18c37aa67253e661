import type { BreakerTransition } from '../state/breaker-state.js';
import type { Disposable } from '../store/breaker-store.js';
import type { RedisClient } from '../store/redis-store.js';
import { isCluster } from './fail-fast-client.js';
import type { RepeatLog } from './repeat-log.js';

/** Where the transitions come from (the FailoverStore: the shared store's channel for this breaker). */
export interface TransitionSource {
  subscribe(listener: (t: BreakerTransition) => void): Promise<Disposable>;
}

export interface TransitionFeedParts {
  readonly podId: string;
  readonly source: TransitionSource;
  /** The breaker's own subscriber connection, if it has one. */
  readonly subscriber: RedisClient | undefined;
  /** The breaker's own command connection, if it has one: what a resync is sent on. */
  readonly client?: RedisClient | undefined;
  readonly repeatLog: RepeatLog;
  readonly onTransition: (t: BreakerTransition) => void;
  /** Re-read the state: after a reconnect, messages may have been missed. */
  readonly resync: () => Promise<void>;
}

/**
 * The pod's subscription to the breaker's transitions. One subscribe() in
 * flight at a time (a second would look subscribed without a SUBSCRIBE), and
 * a failed one is retried on the subscriber's next 'ready' and whenever the
 * store answers a resync ({@link retry}), so a pod that could not subscribe
 * at start (Redis down, a caller's store failing) gets pub/sub once the
 * store is back.
 *
 * ioredis emits 'ready' before it re-sends SUBSCRIBE, so a resync started
 * right away could read the state before the subscription is back and miss a
 * transition published in between: the resync after a reconnect waits for a
 * PING queued behind ioredis's own SUBSCRIBE (same connection, in order). A
 * Cluster subscribes on a node of its choosing, so there it resyncs at once.
 * The resync goes out on the command connection, which reconnects on its own
 * backoff: while that one is not ready the call would fail at once and send
 * the pod to its fallback for nothing, so the resync is left to the command
 * connection's own 'ready' (the ClusterBreaker resyncs then).
 */
export class TransitionFeed {
  #subscription: Disposable | undefined;
  #subscribing: Promise<void> | undefined;
  #pinging = false;
  #closed = false;
  readonly #parts: TransitionFeedParts;

  constructor(parts: TransitionFeedParts) {
    this.#parts = parts;
  }

  get subscribed(): boolean {
    return this.#subscription !== undefined;
  }

  /** Subscribes and follows the subscriber's reconnects; settles when subscribed or failed, never rejects. */
  start(): Promise<void> {
    this.#parts.subscriber?.on('ready', this.#onSubscriberReady);
    return this.#subscribe();
  }

  /** Subscribes if not subscribed (nor trying). */
  retry(): void {
    if (!this.#subscription) void this.#subscribe();
  }

  close(): void {
    this.#closed = true;
    this.#parts.subscriber?.off('ready', this.#onSubscriberReady);
    this.#subscription?.dispose();
  }

  readonly #onSubscriberReady = (): void => {
    if (this.#closed) return;
    const wasSubscribed = this.#subscription !== undefined;
    void this.#subscribe().then(async () => {
      const { subscriber: sub, client } = this.#parts;
      if (wasSubscribed && sub && !isCluster(sub) && !this.#pinging) {
        this.#pinging = true;
        await sub.ping().catch(() => {});
        this.#pinging = false;
      }
      if (client && client.status !== 'ready') return;
      await this.#parts.resync();
    });
  };

  #subscribe(): Promise<void> {
    if (this.#closed || this.#subscription) return Promise.resolve();
    const { podId, source, repeatLog, onTransition } = this.#parts;
    this.#subscribing ??= source.subscribe(onTransition).then(
      (subscription) => {
        this.#subscribing = undefined;
        if (this.#closed) subscription.dispose();
        else this.#subscription = subscription;
      },
      (err: unknown) => {
        this.#subscribing = undefined;
        repeatLog.warn(
          'subscribe',
          podId,
          { err },
          'could not subscribe to breaker transitions; relying on resync and retrying',
        );
      },
    );
    return this.#subscribing;
  }
}
