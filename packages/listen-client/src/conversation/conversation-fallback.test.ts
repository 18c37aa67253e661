import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../time/manual-scheduler.js';
import { ConversationFallback, type FallbackHandler } from './conversation-fallback.js';
import type { FallbackResult } from './conversation-outcome.js';

// The fallback's bounds, on a manual clock: how many handlers run at once, how
// long a request may wait, and that every request ends.

function fallback(
  handler: FallbackHandler,
  options: { concurrency?: number; timeoutMs?: number; maxQueueWaitMs?: number; maxQueued?: number } = {},
) {
  const clock = new ManualScheduler();
  return { clock, fallback: new ConversationFallback({ handler, clock, ...options }) };
}

const request = (i: number) => ({ conversation_id: `c${i}` });

describe('ConversationFallback', () => {
  it('a handler that ignores its signal keeps its slot until it settles: never more than concurrency at once', async () => {
    let running = 0;
    let peak = 0;
    const { clock, fallback: f } = fallback(
      () =>
        new Promise((resolve) => {
          running++;
          peak = Math.max(peak, running);
          // Ignores the signal: takes 10 s whatever happens.
          clock.setTimeout(() => {
            running--;
            resolve('late');
          }, 10_000);
        }),
      { concurrency: 1, timeoutMs: 1_000, maxQueueWaitMs: 3_600_000 },
    );
    const results: FallbackResult[] = [];
    for (let i = 0; i < 5; i++) void f.run(request(i), 'degraded').then((r) => results.push(r));
    await clock.advance(1_000);
    expect(results.map((r) => r.status)).toEqual(['timed_out']); // the caller hears at the timeout
    expect({ active: f.active, abandoned: f.abandoned, queued: f.queued }).toEqual({
      active: 1,
      abandoned: 1,
      queued: 4,
    });
    await clock.advance(60_000);
    expect(peak).toBe(1);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('timed_out'));
    expect({ active: f.active, abandoned: f.abandoned, queued: f.queued }).toEqual({
      active: 0,
      abandoned: 0,
      queued: 0,
    });
  });

  it('a request that waits maxQueueWaitMs for a slot ends expired, never run', async () => {
    const ran: string[] = [];
    const { clock, fallback: f } = fallback(
      (req) => {
        ran.push(req.conversation_id);
        return new Promise(() => {}); // never settles, holds the slot forever
      },
      { concurrency: 1, timeoutMs: 1_000, maxQueueWaitMs: 5_000 },
    );
    const first = f.run(request(0), 'degraded');
    const second = f.run(request(1), 'degraded');
    await clock.advance(4_999);
    expect(f.queued).toBe(1);
    await clock.advance(1);
    expect(await first).toEqual({ status: 'timed_out' });
    expect(await second).toMatchObject({ status: 'expired' });
    expect(ran).toEqual(['c0']);
    expect(f.queued).toBe(0);
  });

  it('every request ends within maxQueueWaitMs + timeoutMs, however stuck the handler', async () => {
    const { clock, fallback: f } = fallback(() => new Promise(() => {}), {
      concurrency: 2,
      timeoutMs: 1_000,
      maxQueueWaitMs: 2_000,
    });
    const ended: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) =>
      f.run(request(i), 'degraded').then((r) => {
        ended.push(clock.now());
        return r;
      }),
    );
    const t0 = clock.now();
    await clock.advance(3_000);
    const results = await Promise.all(all);
    expect(results.filter((r) => r.status === 'timed_out')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'expired')).toHaveLength(48);
    expect(Math.max(...ended) - t0).toBeLessThanOrEqual(3_000);
  });

  it('a handler that throws at once fails its run and frees its slot', async () => {
    const { clock, fallback: f } = fallback(
      () => {
        throw new Error('bad input');
      },
      { concurrency: 1 },
    );
    const results = Array.from({ length: 2_000 }, (_, i) => f.run(request(i), 'degraded'));
    await clock.advance(0);
    const settled = await Promise.all(results);
    expect(settled.every((r) => r.status === 'failed' && r.error === 'bad input')).toBe(true);
    expect(f.active).toBe(0);
  });

  it('rejects at once beyond maxQueued', async () => {
    const { fallback: f } = fallback(() => new Promise(() => {}), { concurrency: 1, maxQueued: 1 });
    void f.run(request(0), 'degraded');
    void f.run(request(1), 'degraded');
    // The first holds the one slot, the second the one place in the queue.
    expect(await f.run(request(2), 'degraded')).toMatchObject({ status: 'rejected' });
  });

  it.each([
    [{ concurrency: 0 }, 'options.concurrency'],
    [{ timeoutMs: 0 }, 'options.timeoutMs'],
    [{ maxQueued: 0 }, 'options.maxQueued'],
    [{ maxQueueWaitMs: 0 }, 'options.maxQueueWaitMs'],
    [{ maxQueueWaitMs: 1.5 }, 'options.maxQueueWaitMs'],
  ])('refuses %o naming %s', (bad, argument) => {
    let caught: unknown;
    try {
      new ConversationFallback({ handler: () => 'ok', ...bad });
    } catch (err) {
      caught = err;
    }
    expect(isInvalidArgumentError(caught) && caught.argument).toBe(argument);
  });
});
