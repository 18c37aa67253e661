// How long each allow()/record*() held the pod's event loop, measured per call.
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';

/** A call flagged as holding the loop: over the limit of wall clock and of the main thread's own CPU time, GC pauses left out. */
export interface SlowCall {
  readonly at: number;
  readonly call: string;
  readonly wallMs: number;
  /** The calling (main) thread's CPU time during the call, GC pauses that overlapped it left out. */
  readonly cpuMs: number;
  /** Main-thread GC pauses that overlapped the call (reported, not counted). */
  readonly gcMs: number;
}

/** CPU time of the calling thread, in ms; `undefined` where it cannot be read. */
export type ThreadCpuMs = () => number | undefined;

/**
 * The calling thread's on-CPU time, from Linux's `/proc/thread-self/schedstat` (its first
 * field, nanoseconds, kept by the scheduler): the JavaScript thread's own CPU, without GC
 * helper and compiler threads and without time the OS gave other processes. Node 20 has
 * no per-thread CPU clock (`process.threadCpuUsage` is Node ≥ 23.9). `undefined` where
 * the file cannot be read (not Linux, no schedstats).
 */
export function linuxThreadCpuMs(): ThreadCpuMs | undefined {
  const read = (): number => {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    if (!Number.isFinite(ns)) throw new Error(`/proc/thread-self/schedstat: unexpected ${JSON.stringify(text)}`);
    return ns / 1e6;
  };
  try {
    read();
  } catch {
    return undefined;
  }
  return read;
}

/** The whole process's CPU time (every thread, GC included): the fallback where no thread clock exists. */
export const processCpuMs: ThreadCpuMs = () => {
  const c = cpuUsage();
  return (c.user + c.system) / 1000;
};

export interface CallTimerOptions {
  /** A call over this much wall clock and this much of its thread's CPU (GC left out) held the loop. */
  readonly limitMs: number;
  /** The thread CPU clock; default the Linux one, else the whole process's. */
  readonly cpuMs?: ThreadCpuMs;
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
 * time. A call is slow when both exceed the limit: wall alone is the OS preempting the pod or
 * a SIGSTOP, not the call; CPU of the thread is the call's own work. Main-thread GC pauses
 * (from `gc` performance entries, which arrive after the pause) that overlap the call are
 * subtracted before judging, so a candidate is judged on `take()` once its GC entries have
 * had `settleMs` to arrive. A call that really blocks — synchronous work on the thread,
 * whatever else the machine does — is over the limit in both.
 */
export class CallTimer {
  readonly #limitMs: number;
  readonly #cpuMs: ThreadCpuMs;
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
    this.#cpuMs = o.cpuMs ?? linuxThreadCpuMs() ?? processCpuMs;
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
    const c0 = this.#cpuMs();
    const t0 = performance.now();
    try {
      return fn();
    } catch (err) {
      if (this.errors.length < this.#maxKept) this.errors.push(`${call}: ${String(err)}`);
      return undefined;
    } finally {
      const t1 = performance.now();
      const c1 = this.#cpuMs();
      const wallMs = t1 - t0;
      const cpuMs = c0 === undefined || c1 === undefined ? 0 : c1 - c0;
      this.calls++;
      if (wallMs > this.maxWallMs) this.maxWallMs = wallMs;
      if (cpuMs > this.maxCpuMs) this.maxCpuMs = cpuMs;
      if (wallMs > this.#limitMs && cpuMs > this.#limitMs && this.#pending.length < this.#maxKept)
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
