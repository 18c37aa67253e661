/**
 * One listen pod, in its own process, for the degraded-pod benchmark (see
 * degraded.ts): `sessions` app sessions feeding audio every `audioEveryMs` and a
 * transcript every `transcriptEveryMs`, either to PusherSessions gated by a
 * ClusterBreaker (the library) or to nothing at all (`app-only`: what the
 * simulated app costs by itself). Once every session is degraded it measures a
 * steady window and prints one JSON line (PodResult) on stdout.
 *
 * The library is loaded from `libRoot` (a checkout of this repository), so the
 * same pod measures this checkout and an earlier commit side by side.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type * as Core from '@breakwater/breaker-core';
import type * as Listen from '@breakwater/listen-client';

export type PodVariant = 'app-only' | 'open' | 'half-open-held' | 'fleet';

export interface PodConfig {
  readonly variant: PodVariant;
  readonly libRoot: string;
  readonly redisUrl: string;
  readonly pusherUrl: string;
  readonly sessions: number;
  readonly audioEveryMs: number;
  readonly transcriptEveryMs: number;
  /** After every session is degraded, wait this long before measuring. */
  readonly settleMs: number;
  readonly windowMs: number;
  readonly keyPrefix: string;
}

export interface PodResult {
  readonly variant: PodVariant;
  readonly windowMs: number;
  /** Process CPU (user + system) seconds per wall second. */
  readonly cpuPerSec: number;
  /** performance.eventLoopUtilization() over the window, 0–1. */
  readonly elu: number;
  /** Redis requests this pod sent (every ioredis command, subscriber and ramp included), per second. */
  readonly redisRequestsPerSec: number;
  /** By command name, per second. */
  readonly redisByCommand: Record<string, number>;
  /** Active Timeout handles, sampled every 250 ms: max over the window. */
  readonly timeoutsMax: number;
  /** Sessions by state at the end of the window. */
  readonly states: Record<string, number>;
  /** Breaker states seen at the samples. */
  readonly breakerStates: Record<string, number>;
  /** Dials the pod's sessions made during the window. */
  readonly dials: number;
}

const config = JSON.parse(process.env.BW_DEGRADED_POD ?? 'null') as PodConfig | null;
if (!config) throw new Error('BW_DEGRADED_POD: expected the pod config as JSON');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The library, and the ioredis it uses, from `libRoot`. */
async function loadLibrary(libRoot: string) {
  const req = createRequire(join(libRoot, 'packages/listen-client/package.json'));
  const coreReq = createRequire(req.resolve('@breakwater/breaker-core'));
  const load = async <T>(r: NodeJS.Require, id: string) => (await import(pathToFileURL(r.resolve(id)).href)) as T;
  const core = await load<typeof Core>(req, '@breakwater/breaker-core');
  const listen = await load<typeof Listen>(req, '@breakwater/listen-client');
  const ioredis = await load<{ Redis: { prototype: { sendCommand(cmd: { name: string }): unknown } } }>(
    coreReq,
    'ioredis',
  );
  const prom = await load<{ Registry: new () => import('prom-client').Registry }>(req, 'prom-client');
  const pino = await load<{ pino: typeof import('pino').pino }>(req, 'pino');
  return { core, listen, ioredis, prom, pino };
}

/** What the app does with a session's audio and transcripts. */
interface AppSink {
  sendAudio(pcm: Uint8Array, t: number): void;
  sendTranscript(segments: readonly unknown[]): void;
  readonly state: string;
}

interface Pod {
  readonly sinks: AppSink[];
  readonly breaker: Core.ClusterBreaker | undefined;
  /** Counts Redis commands and dials while on. */
  counting: boolean;
  readonly commands: Map<string, number>;
  dials: number;
  close(): Promise<void>;
}

async function startPod(c: PodConfig): Promise<Pod> {
  const pod: Pod = {
    sinks: [],
    breaker: undefined,
    counting: false,
    commands: new Map(),
    dials: 0,
    close: async () => {},
  };
  if (c.variant === 'app-only') {
    for (let i = 0; i < c.sessions; i++) {
      let sent = 0;
      pod.sinks.push({
        sendAudio: (pcm) => {
          sent += pcm.byteLength;
        },
        sendTranscript: (segments) => {
          sent += segments.length;
        },
        get state() {
          return sent >= 0 ? 'degraded' : 'connected';
        },
      });
    }
    return pod;
  }
  const { core, listen, ioredis, prom, pino } = await loadLibrary(c.libRoot);
  const proto = ioredis.Redis.prototype;
  const original = proto.sendCommand;
  proto.sendCommand = function (this: unknown, ...args: unknown[]) {
    const cmd = args[0] as { name: string };
    if (pod.counting) pod.commands.set(cmd.name, (pod.commands.get(cmd.name) ?? 0) + 1);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  const registry = new prom.Registry();
  const logger = pino.pino({ level: 'silent' });
  const breaker = await core.createClusterBreaker({
    name: 'pusher',
    redis: c.redisUrl,
    prefix: c.keyPrefix,
    podId: 'measured-pod',
    registry,
    logger,
  });
  const RedisCtor = ioredis.Redis as unknown as new (url: string, o: object) => import('ioredis').Redis;
  const rampClient = new RedisCtor(c.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1_000,
  });
  rampClient.on('error', () => {});
  const ramp = new core.RedisReconnectRamp({ client: rampClient, name: 'pusher', prefix: c.keyPrefix, registry });
  const fallback = new listen.ConversationFallback({ handler: async () => ({ processed: true }) });
  const dialer = listen.wsDialer;
  const counted: Listen.PusherDialer = (url, events, options) => {
    if (pod.counting) pod.dials++;
    return dialer(url, events, options);
  };
  const sessions = Array.from(
    { length: c.sessions },
    (_, i) =>
      new listen.PusherSession({
        pusherUrl: c.pusherUrl,
        uid: `bench-${i}`,
        breaker,
        ramp,
        fallback,
        registry,
        logger,
        dialer: counted,
      }),
  );
  for (const session of sessions) {
    pod.sinks.push({
      sendAudio: (pcm, t) => void session.sendAudio(pcm, t),
      sendTranscript: (segments) => void session.sendTranscript(segments),
      get state() {
        return session.state;
      },
    });
  }
  pod.close = async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await breaker.close();
    rampClient.disconnect();
  };
  (pod as { breaker: Core.ClusterBreaker }).breaker = breaker;
  // Users arrive spread over a second; their first connects fail (pusher refuses) and the breaker trips.
  await Promise.all(
    sessions.map(async (session, i) => {
      await sleep((1_000 * i) / c.sessions);
      await session.start();
    }),
  );
  return pod;
}

/** The app: audio and transcripts on every session, whatever the client does with them. */
function feed(c: PodConfig, sinks: readonly AppSink[]): () => void {
  const pcm = new Uint8Array(Math.round((16_000 * 2 * c.audioEveryMs) / 1_000));
  const timers: NodeJS.Timeout[] = [];
  sinks.forEach((sink, i) => {
    let k = 0;
    const audio = () => sink.sendAudio(pcm, performance.now() / 1_000);
    const transcript = () => {
      k++;
      sink.sendTranscript([{ text: `segment ${k}`, start: k, end: k + 1 }]);
    };
    timers.push(
      setTimeout(() => timers.push(setInterval(audio, c.audioEveryMs)), (c.audioEveryMs * i) / sinks.length),
      setTimeout(
        () => timers.push(setInterval(transcript, c.transcriptEveryMs)),
        (c.transcriptEveryMs * i) / sinks.length,
      ),
    );
  });
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}

/**
 * BW_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the measured window only (not start-up,
 * not close), written there; for finding where the time goes, not for the figures.
 */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

const count = (xs: Iterable<string>) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
};

async function measure(c: PodConfig): Promise<PodResult> {
  const pod = await startPod(c);
  const stopFeeding = feed(c, pod.sinks);
  // Every session degraded (a session probing under the lease counts: it is back to degraded in a moment).
  const deadline = Date.now() + 30_000;
  while (pod.sinks.some((s) => s.state !== 'degraded' && s.state !== 'half_open_probe')) {
    if (Date.now() > deadline)
      throw new Error(`sessions not degraded after 30 s: ${JSON.stringify(count(pod.sinks.map((s) => s.state)))}`);
    await sleep(50);
  }
  await sleep(c.settleMs);
  const breakerStates: string[] = [];
  let timeoutsMax = 0;
  const sampleTimers = () => {
    const n = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    timeoutsMax = Math.max(timeoutsMax, n);
    if (pod.breaker) breakerStates.push(pod.breaker.state);
  };
  const profile = process.env.BW_BENCH_CPU_PROF ? await startProfile() : undefined;
  pod.counting = true;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const sampler = setInterval(sampleTimers, 250);
  await sleep(c.windowMs);
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  pod.counting = false;
  await profile?.(join(process.env.BW_BENCH_CPU_PROF ?? '.', `${c.variant}-${process.pid}.cpuprofile`));
  const states = count(pod.sinks.map((s) => s.state));
  stopFeeding();
  await Promise.race([pod.close(), sleep(3_000)]);
  const requests = [...pod.commands.values()].reduce((a, b) => a + b, 0);
  return {
    variant: c.variant,
    windowMs: Math.round(seconds * 1_000),
    cpuPerSec: (cpu.user + cpu.system) / 1e6 / seconds,
    elu: elu.utilization,
    redisRequestsPerSec: requests / seconds,
    redisByCommand: Object.fromEntries([...pod.commands].map(([k, v]) => [k, v / seconds])),
    timeoutsMax,
    states,
    breakerStates: count(breakerStates),
    dials: pod.dials,
  };
}

measure(config).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
