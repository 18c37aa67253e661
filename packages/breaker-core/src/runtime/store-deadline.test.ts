import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStoreUnavailableError } from '../errors/store-unavailable-error.js';
import { LATE_CALL_FORGOTTEN_AFTER, MAX_LATE_CALLS, StoreDeadline } from './store-deadline.js';
import { isStoreTimeoutError } from './store-timeout-error.js';

/**
 * Fake time a call's timeout waits after its deadline: one turn of the event loop (an
 * immediate), so a reply already in the socket is read first. A fake immediate queued
 * at the end of an advance runs once the clock moves on.
 */
const TURN = 1;

/** Sends `n` calls that `hang` never settles, each let run past its 100 ms deadline (and the turn after it). */
async function leaveUnanswered(deadline: StoreDeadline, hang: () => Promise<never>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const failure = deadline.run('snapshot', hang).catch(() => {});
    await vi.advanceTimersByTimeAsync(100 + TURN);
    await failure;
  }
}

describe('StoreDeadline', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes a prompt reply or error through', async () => {
    const deadline = new StoreDeadline(250);
    expect(await deadline.run('record', () => Promise.resolve(7))).toBe(7);
    await expect(deadline.run('record', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });

  it('rejects with StoreTimeoutError at the deadline and drops the late reply', async () => {
    const deadline = new StoreDeadline(250);
    let answer: (v: number) => void = () => {};
    const call = deadline.run('record', () => new Promise<number>((r) => (answer = r)));
    const failure = call.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(250 + TURN);
    const err = await failure;
    expect(isStoreTimeoutError(err)).toBe(true);
    expect(isStoreUnavailableError(err)).toBe(true); // still a store-unavailable error for everyone else
    expect(err).toMatchObject({ operation: 'record', timeoutMs: 250 });
    expect(deadline.late).toBe(1);
    answer(7);
    await Promise.resolve();
    expect(deadline.late).toBe(0);
  });

  it('gives the store the time the pod’s own loop was held past the deadline, once, at most one more deadline', async () => {
    // The timer fires on time on the fake clock; `held` is how late the deadline's clock says it fired.
    let held = 0;
    const deadline = new StoreDeadline(100, () => performance.now() + held);
    const hang = () => new Promise<never>(() => {});
    let err: unknown;
    void deadline.run('record', hang).catch((e: unknown) => (err = e));
    held = 60; // the loop was held 60 ms past the deadline: the store is owed 60 ms more
    await vi.advanceTimersByTimeAsync(100 + 59 + TURN);
    expect(err).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(isStoreTimeoutError(err)).toBe(true);

    err = undefined;
    held = 0;
    void deadline.run('record', hang).catch((e: unknown) => (err = e));
    held = 10_000; // held far longer: one more deadline at most, and never a third
    await vi.advanceTimersByTimeAsync(200 + TURN);
    expect(isStoreTimeoutError(err)).toBe(true);

    err = undefined;
    held = 0;
    void deadline.run('record', hang).catch((e: unknown) => (err = e));
    held = 20; // a timer a little late (≤ HELD_LOOP_SHARE of the deadline) is a timer, not a held loop
    await vi.advanceTimersByTimeAsync(100 + TURN);
    expect(isStoreTimeoutError(err)).toBe(true);
  });

  it('says how long past its deadline the oldest unanswered call is', async () => {
    const deadline = new StoreDeadline(100);
    expect(deadline.overdueMs).toBe(0);
    let answer: (v: number) => void = () => {};
    void deadline.run('record', () => new Promise<number>((r) => (answer = r))).catch(() => {});
    await vi.advanceTimersByTimeAsync(100 + TURN);
    void deadline.run('snapshot', () => new Promise<never>(() => {})).catch(() => {});
    await vi.advanceTimersByTimeAsync(100 + TURN);
    expect(deadline.overdueMs).toBe(100 + 2 * TURN); // the first one's: due at 100, now 202
    answer(7); // a slow store answers after all
    await vi.advanceTimersByTimeAsync(0);
    expect(deadline.overdueMs).toBe(TURN); // the second one's: due at 201
  });

  it('stops calling a store that leaves calls unanswered', async () => {
    const deadline = new StoreDeadline(100);
    const hang = vi.fn(() => new Promise<never>(() => {}));
    await leaveUnanswered(deadline, hang, MAX_LATE_CALLS);
    const err = await deadline.run('snapshot', hang).catch((e: unknown) => e);
    expect(isStoreTimeoutError(err)).toBe(true);
    expect(hang).toHaveBeenCalledTimes(MAX_LATE_CALLS);
  });

  it('forgets calls a store never settles, so the pod can try it again', async () => {
    const deadline = new StoreDeadline(100);
    const hang = vi.fn(() => new Promise<never>(() => {}));
    await leaveUnanswered(deadline, hang, MAX_LATE_CALLS);
    expect(deadline.late).toBe(MAX_LATE_CALLS);
    // The first call went out at 0, timed out one turn after its deadline and is forgotten
    // LATE_CALL_FORGOTTEN_AFTER - 1 deadlines after that; the loop above already spent
    // MAX_LATE_CALLS deadlines and turns.
    const untilFirstForgotten = 100 * LATE_CALL_FORGOTTEN_AFTER + TURN - MAX_LATE_CALLS * (100 + TURN);
    await vi.advanceTimersByTimeAsync(untilFirstForgotten - 1);
    expect(deadline.late).toBe(MAX_LATE_CALLS);
    await vi.advanceTimersByTimeAsync(1);
    expect(deadline.late).toBe(MAX_LATE_CALLS - 1);
    expect(await deadline.run('snapshot', () => Promise.resolve('back'))).toBe('back');
  });
});

/**
 * A pod's own event loop held by synchronous work (50 sessions' callbacks on a busy
 * core) right after it sent a call: a reply that arrived in time sits unread in the
 * socket, and when the loop is free the deadline's timer is due as well. Real
 * timers and a real socket: what decides is the order of libuv's phases (timers,
 * then the poll that reads the socket). The other end answers as a store in another
 * process would: its reply is written while this loop is held.
 */
describe('StoreDeadline on a real socket while the pod’s loop is held', () => {
  let server: Server;
  let client: Socket;
  let store: Socket | undefined;
  beforeEach(async () => {
    server = createServer((socket) => {
      store = socket;
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    client = connect(address.port, '127.0.0.1');
    await once(client, 'connect');
    while (!store) await new Promise((r) => setImmediate(r));
  });
  afterEach(async () => {
    client.destroy();
    store?.destroy();
    store = undefined;
    server.close();
    await once(server, 'close');
  });

  /** One request; with `answer`, the store's reply is in this end's socket before the call returns. */
  const ask = (answer: boolean) => (): Promise<string> =>
    new Promise((resolve) => {
      client.once('data', (d) => resolve(d.toString()));
      client.write('ping');
      if (answer) store?.write('pong');
    });

  it.each([
    ['the timer’s lateness measured', () => performance.now()],
    ['the loop turn alone (a clock that cannot see the lateness)', () => 0],
  ])(
    'counts a reply that arrived in time but was read late as in time, and a missing one as late: %s',
    async (_, now) => {
      const deadline = new StoreDeadline(50, now);
      const answered = deadline.run('ping', ask(true));
      hold(200); // the reply is in the socket; this loop reads it after 200 ms
      expect(await answered).toBe('pong');

      const unanswered = deadline.run('ping', ask(false)); // now the store really is late
      hold(200);
      expect(isStoreTimeoutError(await unanswered.catch((e: unknown) => e))).toBe(true);
    },
  );
});

/** Holds this process's event loop: no timer and no I/O callback runs meanwhile. */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}
