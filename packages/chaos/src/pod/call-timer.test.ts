import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CallTimer, linuxThreadClock, ownCpuMs, processClock, type ThreadClock } from './call-timer.js';

const LIMIT_MS = 5;
const clock = linuxThreadClock() as ThreadClock;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A deliberately blocking allow(): synchronous work on the calling thread until it has used `ms` of its own CPU. */
function blockingAllow(ms: number): boolean {
  const from = clock().cpuMs;
  let x = 0;
  while (clock().cpuMs - from < ms) x++;
  return x >= 0;
}

/** A call that holds the thread without using CPU (as a SIGSTOP or the OS preempting the pod does) until `cpu` has advanced by `ms`. */
function waitWhile(cpu: () => number, ms: number): boolean {
  const from = cpu();
  while (cpu() - from < ms) Atomics.wait(sleeper, 0, 0, 5);
  return true;
}

let timers: CallTimer[] = [];
let workers: Worker[] = [];
afterEach(async () => {
  for (const t of timers) t.close();
  await Promise.all(workers.map((w) => w.terminate()));
  timers = [];
  workers = [];
});
const timer = (c?: ThreadClock) => {
  const t = new CallTimer({ limitMs: LIMIT_MS, ...(c ? { clock: c } : {}) });
  timers.push(t);
  return t;
};
/** Another thread of this process burning CPU (as GC helper and compiler threads, or a busy machine, do). */
const burner = () => {
  const w = new Worker('for (;;) {}', { eval: true });
  workers.push(w);
  return new Promise<void>((resolve) => w.once('online', () => resolve()));
};

describe('CallTimer', () => {
  it("reads the calling thread's scheduler figures on Linux", () => {
    expect(clock).toBeDefined();
    expect(clock().cpuMs).toBeGreaterThan(0);
    expect(clock().slices).toBeGreaterThan(0);
  });

  it('flags an allow() that blocks the thread with its own work', () => {
    const t = timer();
    expect(t.time('allow', () => blockingAllow(20))).toBe(true);
    t.time('allow', () => true);
    const taken = t.take(0);
    expect(taken.calls).toBe(2);
    expect(taken.slow).toHaveLength(1);
    expect(taken.slow[0]?.call).toBe('allow');
    expect(taken.slow[0]?.cpuMs).toBeGreaterThan(LIMIT_MS);
    expect(t.take(0).slow).toEqual([]);
  });

  it('does not flag a call that only waited (wall clock without its own CPU)', () => {
    const t = timer();
    t.time('allow', () => waitWhile(() => performance.now(), 30));
    const taken = t.take(0);
    expect(taken.maxWallMs).toBeGreaterThan(LIMIT_MS);
    expect(taken.slow).toEqual([]);
  });

  it("does not count another thread's CPU in a call (the whole process's CPU would)", async () => {
    await burner();
    const processCpu = () => processClock().cpuMs;
    const t = timer();
    t.time('allow', () => waitWhile(processCpu, 30));
    expect(t.take(0).slow).toEqual([]);
    // The same call measured with the whole process's CPU is flagged: the measure this replaces.
    const p = timer(processClock);
    p.time('allow', () => waitWhile(processCpu, 30));
    expect(p.take(0).slow).toHaveLength(1);
  });

  it('keeps exceptions as errors and judges a call only once its GC entries can have arrived', () => {
    const t = timer();
    expect(
      t.time('recordFailure', () => {
        throw new Error('boom');
      }),
    ).toBeUndefined();
    t.time('allow', () => blockingAllow(20));
    const first = t.take(60_000);
    expect(first.errors).toEqual(['recordFailure: Error: boom']);
    expect(first.slow).toEqual([]);
    expect(t.take(0).slow).toHaveLength(1);
  });

  it('rejects a limit that is not positive', () => {
    expect(() => new CallTimer({ limitMs: 0 })).toThrow(/limitMs must be > 0/);
  });
});

describe('ownCpuMs', () => {
  const at = (cpuMs: number, waitMs: number, slices: number | undefined) => ({ cpuMs, waitMs, slices });
  it('is the wall time when the thread was not switched out (its on-CPU figure lags a tick)', () => {
    expect(ownCpuMs(6, at(100, 50, 7), at(100, 50, 7))).toBe(6);
  });
  it('leaves out run-queue waits and takes the on-CPU figure when switched out', () => {
    // Preempted: 40 ms wall, 38 of them waiting for the core.
    expect(ownCpuMs(40, at(100, 50, 7), at(104, 88, 8))).toBe(2);
    // SIGSTOPped: 500 ms wall, not waiting on a run queue, 0.2 ms on the CPU.
    expect(ownCpuMs(500, at(100, 50, 7), at(100.2, 50, 8))).toBeCloseTo(0.2);
    // Blocking for 20 ms and preempted once.
    expect(ownCpuMs(30, at(100, 50, 7), at(120, 60, 8))).toBe(20);
  });
  it('without a thread clock, the smaller of wall and process CPU', () => {
    expect(ownCpuMs(30, at(100, 0, undefined), at(104, 0, undefined))).toBe(4);
  });
});
