import { parseArgs } from 'node:util';

export type FailureMode = 'hang' | 'refuse' | 'close-1011';
/** How the stand-in answers handshakes past its capacity (the stand-in's OverloadMode). */
export type PusherOverloadMode = 'http-503' | 'close-1011' | 'stall';

/**
 * The stand-in's capacity, in scenario time (the stand-in runs on the scenario clock): a cold
 * start at `initialRate` new handshakes a scenario second, rising linearly to `maxRate` over
 * `warmUpSeconds`, each time pusher comes back (and when the phase's sessions start).
 */
export interface PusherCapacityOption {
  readonly initialRate: number;
  readonly maxRate: number;
  readonly warmUpSeconds: number;
}
export type PhaseName = 'baseline' | 'breakwater';

/** One replay: the scenario (in scenario time) and how it is run. */
export interface ReplayOptions {
  /** Listen pods, each its own process. Range 1 – 200. @default 30 */
  readonly pods: number;
  /** Live sessions per pod. Range 1 – 1,000. @default 50 */
  readonly sessions: number;
  /** Healthy traffic before pusher fails, scenario seconds. Range 5 – 3,600. @default 60 */
  readonly healthySeconds: number;
  /**
   * How long pusher stays down, scenario seconds. Range 10 – 7,200. Kept from when probes came
   * once per 60 s cooldown (330 s ended the outage half-way between two); with probes every
   * 3 s once escalated, a returning pusher waits 0 – 3 s whatever the length.
   * @default 330 (the incident's was 720)
   */
  readonly outageSeconds: number;
  /** Longest wait for every session to reconnect after pusher returns, scenario seconds. Range 10 – 7,200. @default 600 */
  readonly recoverySeconds: number;
  /** How pusher fails. @default 'refuse' */
  readonly failureMode: FailureMode;
  /**
   * Scenario seconds per wall-clock second: backoffs, cooldowns, probes and the outage run this
   * much faster; network deadlines (connect and pong timeouts) stay in wall time. Range 1 – 100.
   * @default 5
   */
  readonly timeScale: number;
  /**
   * pusher's capacity for new handshakes (scenario time), or null for none (the pre-issue-13
   * stand-in, which any storm costs nothing). @default 100 → 400 a second over 30 s
   */
  readonly pusherCapacity: PusherCapacityOption | null;
  /** How the stand-in answers the excess. @default 'http-503' (with Retry-After: 5 s) */
  readonly pusherOverload: PusherOverloadMode;
  /**
   * Sessions the stand-in holds at once (more handshakes are refused as overload), or null for no
   * limit. @default null: 3 × pods × sessions (the old client's three loops may each hold one)
   */
  readonly pusherMaxSessions: number | null;
  /**
   * Scheduling priority (nice) of the pod processes, both phases alike: pusher and Redis run on
   * their own machines in production, so here they get the CPU before the pods do; the pods
   * still keep both cores busy. 0 = the same priority as the stand-in and Redis (the harsher
   * case: a CPU-starved stand-in answers handshakes late). Range 0 – 19. @default 10
   */
  readonly podNice: number;
  /** Replays in a row; the report gives min / median / max and each run's figures. Range 1 – 20. @default 1 */
  readonly runs: number;
  /** Which phases run, in order. @default ['baseline', 'breakwater'] */
  readonly phases: readonly PhaseName[];
  /**
   * An operator force-opens the breaker through the admin API a quarter into the outage, and
   * clears the override when pusher returns. Breakwater phase only. @default false
   */
  readonly sre: boolean;
  /** Where report.json and chart.html go. @default 'demo-out' */
  readonly outDir: string;
  /** Print the report as JSON instead of the table. @default false */
  readonly json: boolean;
  /** Also write the table into BENCHMARKS.md and the chart to docs/replay-chart.svg. @default false */
  readonly writeBenchmarks: boolean;
  /** Redis to use instead of starting one. @default process.env.REDIS_URL */
  readonly redisUrl: string | undefined;
}

export const DEFAULT_REPLAY_OPTIONS: Omit<ReplayOptions, 'redisUrl'> = Object.freeze<Omit<ReplayOptions, 'redisUrl'>>({
  pods: 30,
  sessions: 50,
  healthySeconds: 60,
  outageSeconds: 330,
  recoverySeconds: 600,
  failureMode: 'refuse',
  timeScale: 5,
  pusherCapacity: Object.freeze({ initialRate: 100, maxRate: 400, warmUpSeconds: 30 }),
  pusherOverload: 'http-503',
  pusherMaxSessions: null,
  podNice: 10,
  runs: 1,
  phases: ['baseline', 'breakwater'],
  sre: false,
  outDir: 'demo-out',
  json: false,
  writeBenchmarks: false,
});

export const USAGE = `Usage: pnpm demo [options]

Reruns the pusher outage: pods × sessions stream to a pusher stand-in that fails,
first with the old client (baseline), then with Breakwater, and compares them.

  --pods N               listen pods, each a process          (default 30, 1–200)
  --sessions N           sessions per pod                     (default 50, 1–1000)
  --healthy-seconds S    healthy traffic first, scenario s    (default 60)
  --outage-seconds S     how long pusher is down, scenario s  (default 330; the incident: 720)
  --recovery-seconds S   longest wait for reconnects          (default 600)
  --failure-mode M       refuse | hang | close-1011           (default refuse)
  --time-scale X         scenario seconds per real second     (default 5, 1–100)
  --pusher-capacity C    pusher's capacity for new handshakes after a (re)start, scenario
                         time: INITIAL:MAX:WARMUP — INITIAL handshakes/s, rising linearly to
                         MAX/s over WARMUP s (default 100:400:30); or none (no limit)
  --pusher-overload M    how pusher answers the excess: http-503 (with Retry-After: 5 s),
                         close-1011 or stall                  (default http-503)
  --pusher-max-sessions N  sessions pusher holds at once, or none
                         (default 3 × pods × sessions)
  --pod-nice N           pods' scheduling priority (nice), both phases: the stand-in
                         and Redis stand for other machines and get the CPU first
                         (default 10; 0 = same priority, 0–19)
  --runs N               replay N times; report min / median / max (default 1, 1–20)
  --phase P              baseline | breakwater | both         (default both)
  --sre                  an operator force-opens the breaker a quarter into the outage and
                         clears it when pusher returns (needs the breakwater phase)
  --out DIR              where report.json and chart.html go  (default demo-out)
  --json                 print the report as JSON
  --write-benchmarks     also put the table in BENCHMARKS.md and the chart in docs/replay-chart.svg
  --help                 this text

Redis: REDIS_URL if set, else a throwaway redis-server, else Docker (testcontainers).`;

/** Thrown for a bad flag; the CLI prints the message and the usage, and exits 2. */
export class ReplayUsageError extends Error {
  override name = 'ReplayUsageError';
}

/** Parses and validates command-line flags; throws ReplayUsageError saying what is wrong. */
export function parseReplayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ReplayOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        pods: { type: 'string' },
        sessions: { type: 'string' },
        'healthy-seconds': { type: 'string' },
        'outage-seconds': { type: 'string' },
        'recovery-seconds': { type: 'string' },
        'failure-mode': { type: 'string' },
        'time-scale': { type: 'string' },
        'pusher-capacity': { type: 'string' },
        'pusher-overload': { type: 'string' },
        'pusher-max-sessions': { type: 'string' },
        'pod-nice': { type: 'string' },
        runs: { type: 'string' },
        phase: { type: 'string' },
        sre: { type: 'boolean' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        'write-benchmarks': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ReplayUsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const d = DEFAULT_REPLAY_OPTIONS;
  const phase = oneOf('--phase', values.phase, ['baseline', 'breakwater', 'both'] as const, 'both');
  const out = values.out ?? d.outDir;
  if (typeof out !== 'string' || out.trim() === '') throw new ReplayUsageError('--out: expected a directory path');
  if (values.sre === true && phase === 'baseline') {
    throw new ReplayUsageError("--sre: the operator drives Breakwater's admin API; use --phase breakwater or both");
  }
  return {
    pods: int('--pods', values.pods, d.pods, 1, 200),
    sessions: int('--sessions', values.sessions, d.sessions, 1, 1_000),
    healthySeconds: num('--healthy-seconds', values['healthy-seconds'], d.healthySeconds, 5, 3_600),
    outageSeconds: num('--outage-seconds', values['outage-seconds'], d.outageSeconds, 10, 7_200),
    recoverySeconds: num('--recovery-seconds', values['recovery-seconds'], d.recoverySeconds, 10, 7_200),
    failureMode: oneOf(
      '--failure-mode',
      values['failure-mode'],
      ['hang', 'refuse', 'close-1011'] as const,
      d.failureMode,
    ),
    timeScale: num('--time-scale', values['time-scale'], d.timeScale, 1, 100),
    pusherCapacity: capacity(values['pusher-capacity'], d.pusherCapacity),
    pusherOverload: oneOf(
      '--pusher-overload',
      values['pusher-overload'],
      ['http-503', 'close-1011', 'stall'] as const,
      d.pusherOverload,
    ),
    pusherMaxSessions:
      values['pusher-max-sessions'] === 'none'
        ? null
        : values['pusher-max-sessions'] === undefined
          ? d.pusherMaxSessions
          : int('--pusher-max-sessions', values['pusher-max-sessions'], 0, 1, 1_000_000),
    podNice: int('--pod-nice', values['pod-nice'], d.podNice, 0, 19),
    runs: int('--runs', values.runs, d.runs, 1, 20),
    phases: phase === 'both' ? ['baseline', 'breakwater'] : [phase],
    sre: values.sre === true,
    outDir: out,
    json: values.json === true,
    writeBenchmarks: values['write-benchmarks'] === true,
    redisUrl: env.REDIS_URL || undefined,
  };
}

/** Plain decimals only: Number() would also take `0x10`, `1e1` and ` 3 `. */
const DECIMAL = /^\d+(\.\d+)?$/;

function num(flag: string, raw: unknown, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ReplayUsageError(`${flag}: expected a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function int(flag: string, raw: unknown, fallback: number, min: number, max: number): number {
  const n = num(flag, raw, fallback, min, max);
  if (!Number.isInteger(n)) throw new ReplayUsageError(`${flag}: expected a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

/** `INITIAL:MAX:WARMUP` (handshakes a scenario second, seconds) or `none`. */
function capacity(raw: unknown, fallback: PusherCapacityOption | null): PusherCapacityOption | null {
  if (raw === undefined) return fallback;
  if (raw === 'none') return null;
  const parts = typeof raw === 'string' ? raw.split(':') : [];
  const bad = (why: string) =>
    new ReplayUsageError(`--pusher-capacity: expected INITIAL:MAX:WARMUP (e.g. 100:400:30) or none, ${why}`);
  if (parts.length !== 3 || !parts.every((p) => DECIMAL.test(p))) throw bad(`got ${JSON.stringify(raw)}`);
  const [initialRate, maxRate, warmUpSeconds] = parts.map(Number) as [number, number, number];
  if (initialRate <= 0 || initialRate > 100_000) throw bad(`INITIAL must be in (0, 100000], got ${initialRate}`);
  if (maxRate < initialRate || maxRate > 100_000) {
    throw bad(`MAX must be from INITIAL (${initialRate}) to 100000, got ${maxRate}`);
  }
  if (warmUpSeconds > 3_600) throw bad(`WARMUP must be from 0 to 3600 s, got ${warmUpSeconds}`);
  return { initialRate, maxRate, warmUpSeconds };
}

function oneOf<T extends string>(flag: string, raw: unknown, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    throw new ReplayUsageError(`${flag}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}
