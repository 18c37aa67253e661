import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStoreUnavailableError } from '../errors/store-unavailable-error.js';
import { LATE_CALL_FORGOTTEN_AFTER, MAX_LATE_CALLS, StoreDeadline } from './store-deadline.js';
import { isStoreTimeoutError } from './store-timeout-error.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Sends `n` calls that `hang` never settles, each let run past its 100 ms deadline. */
async function leaveUnanswered(deadline: StoreDeadline, hang: () => Promise<never>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const failure = deadline.run('snapshot', hang).catch(() => {});
    await vi.advanceTimersByTimeAsync(100);
    await failure;
  }
}

describe('StoreDeadline', () => {
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
    await vi.advanceTimersByTimeAsync(250);
    const err = await failure;
    expect(isStoreTimeoutError(err)).toBe(true);
    expect(isStoreUnavailableError(err)).toBe(true); // still a store-unavailable error for everyone else
    expect(err).toMatchObject({ operation: 'record', timeoutMs: 250 });
    expect(deadline.late).toBe(1);
    answer(7);
    await Promise.resolve();
    expect(deadline.late).toBe(0);
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
    // The first call went out at 0 and is forgotten LATE_CALL_FORGOTTEN_AFTER deadlines later;
    // the loop above already spent MAX_LATE_CALLS deadlines.
    const untilFirstForgotten = 100 * (LATE_CALL_FORGOTTEN_AFTER - MAX_LATE_CALLS);
    await vi.advanceTimersByTimeAsync(untilFirstForgotten - 1);
    expect(deadline.late).toBe(MAX_LATE_CALLS);
    await vi.advanceTimersByTimeAsync(1);
    expect(deadline.late).toBe(MAX_LATE_CALLS - 1);
    expect(await deadline.run('snapshot', () => Promise.resolve('back'))).toBe('back');
  });
});
