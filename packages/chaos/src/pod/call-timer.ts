// How long each allow()/record*() held the pod's event loop, measured per call.
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';

/** A call flagged as holding the loop: over the limit of wall clock and of the main thread's own CPU time, GC pauses left out. */
export interface SlowCall {
  readonly at: number;
  readonly call: string;
  readonly wallMs: number;
  /** The calling (main) thread's CPU time during the call (see `ownCpuMs`), GC pauses that overlapped it left out. */
  readonly cpuMs: number;
  /** Main-thread GC pauses that overlapped the call (reported, not counted). */
  readonly gcMs: number;
}

/**
 * What the scheduler kept for the calling thread: its on-CPU time, its time waiting on a run
 * queue (runnable, another thread or process on the core), and how many times it was given
 * the CPU. `slices` undefined: not known (the whole-process fallback).
 */
export interface ThreadTimes {
  readonly cpuMs: number;
  readonly waitMs: number;
  readonly slices: number | undefined;
}
export type ThreadClock = () => ThreadTimes;

/**
 * The calling thread's scheduler figures from Linux's `/proc/thread-self/schedstat`:
 * on-CPU ns, run-queue wait ns, timeslices. Node 20 has no per-thread CPU clock
 * (`process.threadCpuUsage` is Node ≥ 23.9). The on-CPU figure of a running thread is
 * brought up to date only at the scheduler's tick and at switches (stale by up to one tick,
 * 4 ms at HZ=250), so it is used only when the thread was switched out during a call; the
 * wait and the slice count are exact (kept at each switch in). `undefined` where the file
 * cannot be read (not Linux, no schedstats).
 */
export function linuxThreadClock(): ThreadClock | undefined {
  const read = (): ThreadTimes => {
    const [cpu, wait, slices] = readFileSync('/proc/thread-self/schedstat', 'latin1').trim().split(' ').map(Number);
    if (!Number.isFinite(cpu) || !Number.isFinite(wait) || !Number.isFinite(slices))
      throw new Error('/proc/thread-self/schedstat: unexpected content');
    return { cpuMs: (cpu as number) / 1e6, waitMs: (wait as number) / 1e6, slices };
  };
  try {
    read();
  } catch {
    return undefined;
  }
  return read;
}

/** The whole process's CPU time (every thread, GC included): the fallback where no thread clock exists. */
export const processClock: ThreadClock = () => {
  const c = cpuUsage();
  return { cpuMs: (c.user + c.system) / 1000, waitMs: 0, slices: undefined };
};

/**
 * How much of a call's wall time its thread spent on the CPU. Not switched out during the
 * call: all of it (the wall clock is exact, the thread ran throughout). Switched out (the
 * OS preempting it for another process, a SIGSTOP, a wait): at most the wall time less its
 * run-queue wait, and about the scheduler's on-CPU figure (which lags by under a tick at
 * each end); the smaller. Without a thread clock: the smaller of wall and process CPU.
 */
export function ownCpuMs(wallMs: number, before: ThreadTimes, after: ThreadTimes): number {
  if (before.slices !== undefined && before.slices === after.slices) return wallMs;
  const cpuMs = after.cpuMs - before.cpuMs;
  return Math.max(0, Math.min(wallMs - (after.waitMs - before.waitMs), cpuMs));
}

export interface CallTimerOptions {
  /** A call over this much wall clock and this much of its thread's CPU (GC left out) held the loop. */
  readonly limitMs: number;
  /** The thread's scheduler figures; default the Linux ones, else the whole process's CPU. */
  readonly clock?: ThreadClock;
  /** Most slow calls and errors kept between two `take()`s. */
  readonly maxKept?: number;
}

interface Pending {
  readonly at: number;
  readonly call: string;
  readonly t0: number;
  readonly t1: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

/**
 * Times synchronous calls: wall clock (`performance.now()`) and the calling thread's own CPU
 * time (`ownCpuMs`). A call is slow when that exceeds the limit: wall alone is the OS
 * preempting the pod or a SIGSTOP, not the call; other threads' CPU (GC helpers, the
 * compiler) is not the call's. Main-thread GC pauses
 * (from `gc` performance entries, which arrive after the pause) that overlap the call are
 * subtracted before judging, so a candidate is judged on `take()` once its GC entries have
 * had `settleMs` to arrive. A call that really blocks — synchronous work on the thread,
 * whatever else the machine does — is over the limit in both.
 */
export class CallTimer {
  readonly #limitMs: number;
  readonly #clock: ThreadClock;
  readonly #maxKept: number;
  readonly #gc: Array<{ from: number; to: number }> = [];
  readonly #observer: PerformanceObserver;
  #pending: Pending[] = [];
  calls = 0;
  maxWallMs = 0;
  maxCpuMs = 0;
  errors: string[] = [];

  constructor(o: CallTimerOptions) {
    if (!(o.limitMs > 0)) throw new Error(`CallTimer: limitMs must be > 0, got ${o.limitMs}`);
    this.#limitMs = o.limitMs;
    this.#clock = o.clock ?? linuxThreadClock() ?? processClock;
    this.#maxKept = o.maxKept ?? 20;
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#gc.push({ from: e.startTime, to: e.startTime + e.duration });
        if (this.#gc.length > 1_000) this.#gc.shift();
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Runs `fn`, timing it; an exception is kept as an error (and `undefined` returned). */
  time<T>(call: string, fn: () => T): T | undefined {
    const c0 = this.#clock();
    const t0 = performance.now();
    try {
      return fn();
    } catch (err) {
      if (this.errors.length < this.#maxKept) this.errors.push(`${call}: ${String(err)}`);
      return undefined;
    } finally {
      const t1 = performance.now();
      const wallMs = t1 - t0;
      const cpuMs = ownCpuMs(wallMs, c0, this.#clock());
      this.calls++;
      if (wallMs > this.maxWallMs) this.maxWallMs = wallMs;
      if (cpuMs > this.maxCpuMs) this.maxCpuMs = cpuMs;
      if (cpuMs > this.#limitMs && this.#pending.length < this.#maxKept)
        this.#pending.push({ at: Date.now(), call, t0, t1, wallMs, cpuMs });
    }
  }

  /**
   * The slow calls judged so far (those older than `settleMs`, their GC pauses known) and
   * the counters since the last take, which are reset.
   */
  take(settleMs = 200): {
    calls: number;
    maxWallMs: number;
    maxCpuMs: number;
    slow: SlowCall[];
    errors: string[];
  } {
    const now = performance.now();
    const slow: SlowCall[] = [];
    const keep: Pending[] = [];
    for (const p of this.#pending) {
      if (now - p.t1 < settleMs) {
        keep.push(p);
        continue;
      }
      let gcMs = 0;
      for (const g of this.#gc) gcMs += Math.max(0, Math.min(g.to, p.t1) - Math.max(g.from, p.t0));
      const cpuMs = p.cpuMs - gcMs;
      if (cpuMs > this.#limitMs) slow.push({ at: p.at, call: p.call, wallMs: p.wallMs, cpuMs, gcMs });
    }
    this.#pending = keep;
    const out = { calls: this.calls, maxWallMs: this.maxWallMs, maxCpuMs: this.maxCpuMs, slow, errors: this.errors };
    this.calls = 0;
    this.maxWallMs = 0;
    this.maxCpuMs = 0;
    this.errors = [];
    return out;
  }

  close(): void {
    this.#observer.disconnect();
  }
}
