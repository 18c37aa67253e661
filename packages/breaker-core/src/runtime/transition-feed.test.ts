import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { RedisClient } from '../store/redis-store.js';
import { RepeatLog } from './repeat-log.js';
import { capturingLogger } from './testing/memory-fleet.js';
import { TransitionFeed } from './transition-feed.js';

/**
 * The subscription's reconnect handling, with stand-ins for the breaker's two
 * connections: the subscriber (emits 'ready', answers PING) and the command
 * connection (only its status is read).
 */

function setup(commandStatus: string) {
  const subscriber = Object.assign(new EventEmitter(), { status: 'ready', ping: vi.fn(async () => 'PONG') });
  const client = { status: commandStatus };
  const resync = vi.fn(async () => {});
  const subscribe = vi.fn(async () => ({ dispose: () => {} }));
  const feed = new TransitionFeed({
    podId: 'pod-0',
    source: { subscribe },
    subscriber: subscriber as unknown as RedisClient,
    client: client as unknown as RedisClient,
    repeatLog: RepeatLog.for(capturingLogger().logger),
    onTransition: vi.fn(),
    resync,
  });
  return { feed, subscriber, client, resync, subscribe };
}

/** Lets the feed's promise chain after a 'ready' run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TransitionFeed', () => {
  it('resyncs after the subscriber reconnects, once its SUBSCRIBE is back (a PING queued behind it)', async () => {
    const { feed, subscriber, resync } = setup('ready');
    await feed.start();
    subscriber.emit('ready');
    await settle();
    expect(subscriber.ping).toHaveBeenCalledTimes(1);
    expect(resync).toHaveBeenCalledTimes(1);
    feed.close();
  });

  it('leaves the resync to the command connection while that one is not ready: no call made to fail, no fallback', async () => {
    const { feed, subscriber, client, resync } = setup('reconnecting');
    await feed.start();
    subscriber.emit('ready'); // the subscriber is back first
    await settle();
    expect(resync).not.toHaveBeenCalled(); // the command connection's own 'ready' resyncs (ClusterBreaker)
    client.status = 'ready';
    subscriber.emit('ready');
    await settle();
    expect(resync).toHaveBeenCalledTimes(1);
    feed.close();
  });
});
