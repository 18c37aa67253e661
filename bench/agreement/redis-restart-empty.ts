/**
 * Issue 12, "What was seen" (1), as written, with real parts: does every pod agree
 * with Redis within the staleness bound after Redis restarts without its data?
 *
 * One run:
 *  1. a throwaway redis-server (redis-harness `startRedis`), and `pods` (30) pods made
 *     with `createClusterBreaker` (default config and options, each its own command and
 *     subscriber connections), all in this one process;
 *  2. `tripPods` (20) pods record one failure each: the breaker trips; the default
 *     schedule half-opens it (cooldown 1 s); all pods call `acquireProbe()` at once, the
 *     holder reports success, every pod closes;
 *  3. one pod records `successes` (60,000) successes spread over `successMs` (2 s)
 *     while a MONITOR client is attached;
 *  4. Redis is SIGKILLed; one pod (the rejoiner) records `rejoinFailures` (25) failures
 *     and trips on its local breaker; Redis restarts empty on the same port;
 *  5. observation: a separate observer connection polls what Redis holds every
 *     `sampleMs` (a subscriber on the breaker's channel hears its transitions), and every
 *     pod's view is sampled every `sampleMs`, until every pod has agreed with Redis for
 *     `holdMs` (and at least `minObserveMs` has passed) or `observeMs` (30 s) is over.
 *
 * Roles (which pods trip it, which records the successes, which is the rejoiner, the
 * order of the simultaneous probe requests) come from `seed`.
 *
 * **When Redis answers again** (`answeredAt`): the moment the harness's `restart()`
 * resolves, i.e. this process has read the new redis-server's first PONG (the harness
 * PINGs it from the moment it is spawned). It is read on this process's event loop,
 * which the pods share, so under load it can be read late; `timings.restartMs` (from
 * before the new process is spawned) is in the JSON as well.
 *
 * **What Redis holds** is read without changing it: `HMGET` of the breaker's state hash
 * (incarnation, automatic state, generation, trip time, override), not the snapshot
 * script, which would apply a cooldown that fell due. Each state Redis held starts when
 * Redis says it did (a transition's `at`, heard on the channel; the incarnation, which
 * is the creation time; `openedAt`, the trip time; all on this machine's clock) or else
 * when the observer first read it, which can only be later.
 *
 * **Agreement.** A pod's view is (`source`, `state`, `generation`). A pod *matches*
 * Redis at t when it is on the shared store and its state and generation are those
 * Redis held at t (or started to hold after t: a pod can hear of a transition before the
 * observer reads it). A pod is *stale* at t when its view is not a state Redis still
 * held at t − bound or later (bound = `resyncIntervalMs + 2 × commandTimeoutMs`, 1.5 s
 * by default: README, "How fresh a pod's view is"), e.g. a pod on its local breaker, on
 * the old life of the breaker, or on a state Redis left more than the bound ago. A pod's
 * *agreement time* runs from `answeredAt` to the first sample at which it matches Redis
 * and after which it is never stale again. A run passes when every pod's agreement time
 * is within the bound, no pod is stale at any sample after `answeredAt + bound`, and at
 * the end every pod matches Redis, incarnation included.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type ClusterBreaker, createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';
import { breakerKeys, viewAgeBoundMs } from '@breakwater/breaker-core/internal';
import { startRedis } from '@breakwater/redis-harness';
import { Redis } from 'ioredis';

export interface RedisRestartScenarioOptions {
  /** Pods in this process. @default 30 */
  readonly pods?: number;
  /** Pods that record one failure each to trip the breaker (the default threshold is 20). @default 20 */
  readonly tripPods?: number;
  /** Successes one pod records before the kill. @default 60_000 */
  readonly successes?: number;
  /** Over how long, ms. @default 2_000 */
  readonly successMs?: number;
  /** Whether a MONITOR client is attached while the successes are recorded. @default true */
  readonly monitor?: boolean;
  /** Failures the rejoiner records while Redis is down. @default 25 */
  readonly rejoinFailures?: number;
  /** Longest observation after Redis answers again, ms. @default 30_000 */
  readonly observeMs?: number;
  /** Shortest observation, ms (covers the new life's trip and half-open). @default 5_000 */
  readonly minObserveMs?: number;
  /** How long every pod must have agreed before the observation ends, ms. @default 3_000 */
  readonly holdMs?: number;
  /** Observer poll interval, ms. @default 10 */
  readonly sampleMs?: number;
  /** Seeds the roles. */
  readonly seed: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/** One pod's view, as (state, generation) under its source. */
interface PodView {
  readonly source: 'shared' | 'local';
  readonly state: string;
  readonly generation: number;
  readonly incarnation: string | undefined;
}

/** What Redis holds: null while it holds no breaker. */
interface RedisView {
  readonly incarnation: string;
  readonly state: string;
  readonly generation: number;
}

export interface PodResult {
  readonly podId: string;
  /** Trips it, records the successes, the rejoiner: what this pod did. */
  readonly roles: readonly string[];
  /** ms from `answeredAt` until it matched Redis for good; null if it never did. */
  readonly agreeMs: number | null;
  /** Samples after `answeredAt + bound` at which it was stale. */
  readonly staleSamplesAfterBound: number;
  /** Its view at the last sample. */
  readonly final: PodView;
  /** Events from the SIGKILL on. */
  readonly sinceKill: { readonly stateChange: number; readonly degraded: number; readonly recovered: number };
  /** Events over the whole run. */
  readonly total: { readonly stateChange: number; readonly degraded: number; readonly recovered: number };
  /** ms from `answeredAt` to each onStoreRecovered after the restart. */
  readonly recoveredAtMs: readonly number[];
  /** Its view's age (`viewAge`, ms) at the last sample. */
  readonly viewAgeMs: number;
}

export interface RedisRestartRun {
  readonly seed: number;
  readonly pods: number;
  readonly boundMs: number;
  readonly passed: boolean;
  /** Why it failed; empty when it passed. */
  readonly failures: readonly string[];
  /** Max over pods of `agreeMs`; null if a pod never agreed. */
  readonly agreementMaxMs: number | null;
  readonly podsStaleAfterBound: number;
  /** Leases granted when every pod asked at once (issue: exactly 1). */
  readonly simultaneousGrants: number;
  /** Most leases granted by Redis in one (incarnation, generation) over the run, from onProbeGranted. */
  readonly maxSharedGrantsPerGeneration: number;
  /** Leases granted by local breakers over the run. */
  readonly localGrants: number;
  /** MONITOR lines seen while the successes were recorded. */
  readonly monitorLines: number;
  readonly timings: {
    /** ms from the SIGKILL to the rejoiner on its local breaker, open. */
    readonly killToLocalTripMs: number;
    /** ms from the SIGKILL to the new server's first PONG. */
    readonly downMs: number;
    /** ms from `restart()` called to its first PONG read. */
    readonly restartMs: number;
    /** ms of observation after `answeredAt`. */
    readonly observedMs: number;
  };
  /** What Redis held after the restart, in order: state@generation (incarnation), from when (ms after answeredAt) and when the observer first saw it. */
  readonly redisHistory: readonly { readonly view: string; readonly sinceMs: number; readonly seenAtMs: number }[];
  /** Pod samples taken; the longest gap between two observer reads of Redis (from answeredAt), ms. */
  readonly observer: { readonly samples: number; readonly maxGapMs: number };
  /** This process's event-loop delay during the observation, ms. */
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly perPod: readonly PodResult[];
}

const NAME = 'pusher';

export async function runRedisRestartEmpty(options: RedisRestartScenarioOptions): Promise<RedisRestartRun> {
  const o = {
    pods: 30,
    tripPods: 20,
    successes: 60_000,
    successMs: 2_000,
    monitor: true,
    rejoinFailures: 25,
    observeMs: 30_000,
    minObserveMs: 5_000,
    holdMs: 3_000,
    sampleMs: 10,
    log: () => {},
    ...options,
  };
  checkScenarioOptions(o);
  const boundMs = viewAgeBoundMs({ resyncIntervalMs: 1_000, commandTimeoutMs: 250 });
  const rng = mulberry32(o.seed);
  const order = shuffle(
    Array.from({ length: o.pods }, (_, i) => i),
    rng,
  );
  const trippers = new Set(order.slice(0, o.tripPods));
  const successPod = order[pick(rng, o.pods)] as number;
  const rejoinerIndex = order[pick(rng, o.pods)] as number;
  const askOrder = shuffle(
    Array.from({ length: o.pods }, (_, i) => i),
    rng,
  );

  const server = await startRedis();
  const pods: ClusterBreaker[] = [];
  const observer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const channelListener = new Redis(server.url, { lazyConnect: true });
  observer.on('error', () => {});
  channelListener.on('error', () => {});
  try {
    for (let i = 0; i < o.pods; i++) {
      pods.push(await createClusterBreaker({ name: NAME, redis: server.url, podId: `pod-${i}` }));
    }
    let killedAt = Number.POSITIVE_INFINITY;
    const events = pods.map(() => ({
      stateChange: [] as number[],
      degraded: [] as number[],
      recovered: [] as number[],
    }));
    // Every lease granted, by the life and generation of the breaker it was granted in.
    const grants: Array<{ life: string; source: string }> = [];
    pods.forEach((b, i) => {
      const e = events[i] as (typeof events)[number];
      b.onStateChange(() => e.stateChange.push(performance.now()));
      b.onStoreDegraded(() => e.degraded.push(performance.now()));
      b.onStoreRecovered(() => e.recovered.push(performance.now()));
      b.onProbeGranted(({ lease, source }) =>
        grants.push({ life: `${b.snapshot.incarnation}:${lease.generation}`, source }),
      );
    });

    // 2. Trip, half-open, one probe, close.
    for (const i of trippers) pods[i]?.recordFailure();
    await until(() => pods.every((b) => b.state === 'open'), 20_000, 'every pod open after the trip');
    await until(() => pods.every((b) => b.state === 'half_open'), 20_000, 'every pod half-open after the cooldown');
    const leases = await Promise.all(askOrder.map((i) => (pods[i] as ClusterBreaker).acquireProbe()));
    const granted = leases.flatMap((l, k) => (l ? [{ lease: l, pod: askOrder[k] as number }] : []));
    const holder = granted[0];
    if (!holder) throw new Error('no pod was granted the probe lease when all asked at once');
    await (pods[holder.pod] as ClusterBreaker).reportProbe(holder.lease as ProbeLease, 'success');
    await until(() => pods.every((b) => b.state === 'closed'), 20_000, 'every pod closed after the probe');
    o.log(`  history: tripped, half-opened, ${granted.length} lease(s) granted at once, closed`);

    // 3. 60,000 successes over 2 s on one pod, a MONITOR client attached.
    let monitorLines = 0;
    const monitorClient = o.monitor ? new Redis(server.url) : undefined;
    const monitor = monitorClient ? await monitorClient.monitor() : undefined;
    monitor?.on('monitor', () => monitorLines++);
    const successer = pods[successPod] as ClusterBreaker;
    const started = performance.now();
    let recorded = 0;
    while (recorded < o.successes) {
      await sleep(10);
      const due = Math.min(o.successes, Math.ceil(((performance.now() - started) / o.successMs) * o.successes));
      for (; recorded < due; recorded++) successer.recordSuccess();
    }
    await sleep(200); // the last flush
    monitor?.disconnect();
    monitorClient?.disconnect();

    // 4. SIGKILL; the rejoiner trips locally; Redis restarts empty on the same port.
    const rejoiner = pods[rejoinerIndex] as ClusterBreaker;
    killedAt = performance.now();
    await server.kill();
    for (let i = 0; i < o.rejoinFailures; i++) rejoiner.recordFailure();
    await until(
      () => rejoiner.source === 'local' && rejoiner.state === 'open',
      20_000,
      'the rejoiner tripped on its local breaker',
    );
    const localTripAt = performance.now();
    const restartCalledAt = performance.now();
    await server.restart();
    const answeredAt = performance.now();

    // 5. Observe: the observer polls Redis (and hears its transitions); the pods are sampled on their own beat.
    const history = new RedisHistory();
    const keys = breakerKeys('bw', NAME);
    channelListener.on('message', (_channel: string, message: string) => {
      try {
        const t = JSON.parse(message) as { incarnation?: string; state: string; generation: number; at: number };
        if (t.incarnation === undefined) return;
        history.see({ ...t, incarnation: t.incarnation }, performance.now(), fromEpoch(t.at));
      } catch {
        // not a transition
      }
    });
    void channelListener
      .connect()
      .then(() => channelListener.subscribe(keys.channel))
      .catch(() => {});
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let redisNow: RedisView | null = null;
    let observing = true;
    let observerGapMs = 0;
    const observing$ = (async () => {
      await observer.connect().catch(() => {});
      let last = answeredAt;
      while (observing) {
        const read = await readRedis(observer, keys.state);
        const t = performance.now();
        observerGapMs = Math.max(observerGapMs, t - last);
        last = t;
        if (read) history.see(read.view, t, read.since);
        redisNow = read?.view ?? null;
        await sleep(o.sampleMs);
      }
    })();
    const samples: Sample[] = [];
    let agreeingSince: number | null = null;
    for (;;) {
      const t = performance.now();
      const views = pods.map(viewOf);
      samples.push({ t, views });
      const r = redisNow as RedisView | null;
      const all = r !== null && views.every((v) => matches(v, r) && v.incarnation === r.incarnation);
      agreeingSince = all ? (agreeingSince ?? t) : null;
      const elapsed = t - answeredAt;
      if (elapsed >= o.observeMs) break;
      if (agreeingSince !== null && t - agreeingSince >= o.holdMs && elapsed >= o.minObserveMs) break;
      await sleep(o.sampleMs);
    }
    observing = false;
    await observing$;
    delay.disable();

    // Judge.
    const lastSample = samples.at(-1) as Sample;
    const roles = (i: number) =>
      [
        trippers.has(i) ? 'tripper' : '',
        i === successPod ? 'successes' : '',
        i === rejoinerIndex ? 'rejoiner' : '',
      ].filter(Boolean);
    const perPod: PodResult[] = pods.map((b, i) => {
      const fresh = samples.map((s) => history.fresh(s.views[i] as PodView, s.t, boundMs));
      let lastStale = -1;
      fresh.forEach((f, k) => {
        if (!f) lastStale = k;
      });
      let agreeMs: number | null = null;
      for (let k = lastStale + 1; k < samples.length; k++) {
        const s = samples[k] as Sample;
        if (history.current(s.views[i] as PodView, s.t)) {
          agreeMs = s.t - answeredAt;
          break;
        }
      }
      const e = events[i] as (typeof events)[number];
      const count = (ts: number[], from: number) => ts.filter((t) => t >= from).length;
      return {
        podId: b.podId,
        roles: roles(i),
        agreeMs,
        staleSamplesAfterBound: samples.filter((s, k) => s.t >= answeredAt + boundMs && !fresh[k]).length,
        final: lastSample.views[i] as PodView,
        sinceKill: {
          stateChange: count(e.stateChange, killedAt),
          degraded: count(e.degraded, killedAt),
          recovered: count(e.recovered, killedAt),
        },
        total: { stateChange: e.stateChange.length, degraded: e.degraded.length, recovered: e.recovered.length },
        recoveredAtMs: e.recovered.filter((t) => t >= answeredAt).map((t) => round(t - answeredAt)),
        viewAgeMs: b.viewAge,
      };
    });

    const failures: string[] = [];
    const late = perPod.filter((p) => p.agreeMs === null || p.agreeMs > boundMs);
    if (late.length > 0) {
      failures.push(
        `${late.length} pod(s) did not agree within ${boundMs} ms: ${late
          .map((p) => `${p.podId} (${p.agreeMs === null ? 'never' : `${Math.round(p.agreeMs)} ms`})`)
          .join(', ')}`,
      );
    }
    const stale = perPod.filter((p) => p.staleSamplesAfterBound > 0);
    if (stale.length > 0) failures.push(`${stale.length} pod(s) stale after the bound`);
    const finalRedis = redisNow as RedisView | null;
    const apart = perPod.filter(
      (p) => !finalRedis || !matches(p.final, finalRedis) || p.final.incarnation !== finalRedis.incarnation,
    );
    if (apart.length > 0) {
      failures.push(
        `at the end Redis holds ${finalRedis ? show(finalRedis) : 'no breaker'}; ${apart.length} pod(s) do not: ${apart
          .map((p) => `${p.podId} ${p.final.source}:${p.final.state}@${p.final.generation}`)
          .join(', ')}`,
      );
    }
    const perLife = new Map<string, number>();
    for (const g of grants) if (g.source === 'shared') perLife.set(g.life, (perLife.get(g.life) ?? 0) + 1);
    const agreeTimes = perPod.map((p) => p.agreeMs);
    return {
      seed: o.seed,
      pods: o.pods,
      boundMs,
      passed: failures.length === 0,
      failures,
      agreementMaxMs: agreeTimes.some((a) => a === null)
        ? null
        : round(Math.max(...agreeTimes.map((a) => a as number))),
      podsStaleAfterBound: stale.length,
      simultaneousGrants: granted.length,
      maxSharedGrantsPerGeneration: Math.max(0, ...perLife.values()),
      localGrants: grants.filter((g) => g.source === 'local').length,
      monitorLines,
      timings: {
        killToLocalTripMs: round(localTripAt - killedAt),
        downMs: round(answeredAt - killedAt),
        restartMs: round(answeredAt - restartCalledAt),
        observedMs: round(lastSample.t - answeredAt),
      },
      redisHistory: history.list().map((h) => ({
        view: show(h),
        sinceMs: round(h.since - answeredAt),
        seenAtMs: round(h.seenAt - answeredAt),
      })),
      observer: { samples: samples.length, maxGapMs: round(observerGapMs) },
      loopDelayMs: {
        p50: round(delay.percentile(50) / 1e6),
        p99: round(delay.percentile(99) / 1e6),
        max: round(delay.max / 1e6),
      },
      perPod,
    };
  } finally {
    observer.disconnect();
    channelListener.disconnect();
    await Promise.all(pods.map((b) => b.close().catch(() => {})));
    await server.stop();
  }
}

interface Sample {
  readonly t: number;
  readonly views: readonly PodView[];
}

/** A Redis time (ms since epoch, the machine's clock) on this process's performance.now() timeline. */
function fromEpoch(ms: number): number {
  return ms - performance.timeOrigin;
}

function viewOf(b: ClusterBreaker): PodView {
  return { source: b.source, state: b.state, generation: b.generation, incarnation: b.snapshot.incarnation };
}

function matches(v: PodView, r: RedisView): boolean {
  return v.source === 'shared' && v.state === r.state && v.generation === r.generation;
}

function show(r: RedisView): string {
  return `${r.state}@${r.generation} (${r.incarnation})`;
}

/**
 * What Redis holds, read without changing it, and since when where Redis says (the
 * incarnation is its creation time in µs, `openedAt` the trip's time); null while it
 * holds no breaker (or does not answer).
 */
async function readRedis(client: Redis, stateKey: string): Promise<{ view: RedisView; since?: number } | null> {
  try {
    const [inc, auto, gen, openedAt, ovMode, ovExpiresAt] = await client.hmget(
      stateKey,
      'inc',
      'auto',
      'gen',
      'openedAt',
      'ovMode',
      'ovExpiresAt',
    );
    if (!inc || !auto || gen === null) return null;
    let state = auto;
    if (ovMode && ovExpiresAt) {
      const [s, us] = await client.time();
      if (Number(ovExpiresAt) > Number(s) * 1_000 + Math.floor(Number(us) / 1_000)) state = ovMode;
    }
    const view = { incarnation: inc, state, generation: Number(gen) };
    if (view.generation === 0) return { view, since: fromEpoch(Number(inc) / 1_000) };
    if (state === 'open' && openedAt) return { view, since: fromEpoch(Number(openedAt)) };
    return { view };
  } catch {
    return null;
  }
}

/**
 * The states Redis held after the restart. Each starts when Redis says it did (a
 * transition's `at`, the creation time, the trip time) or else when the observer first
 * saw it, which can only be later; within one incarnation generations only grow, so a
 * state ended when the next generation (or another incarnation) started.
 */
class RedisHistory {
  readonly #seen = new Map<string, RedisView & { seenAt: number; since: number }>();

  see(r: RedisView, seenAt: number, since = seenAt): void {
    const key = `${r.incarnation}:${r.generation}`;
    const known = this.#seen.get(key);
    if (known) {
      known.since = Math.min(known.since, since);
      return;
    }
    this.#seen.set(key, {
      incarnation: r.incarnation,
      state: r.state,
      generation: r.generation,
      seenAt,
      since: Math.min(seenAt, since),
    });
  }

  list(): Array<RedisView & { seenAt: number; since: number }> {
    return [...this.#seen.values()].sort((a, b) => a.since - b.since);
  }

  /** When `r` stopped being what Redis holds, or +∞ if it still is. */
  #endOf(r: RedisView & { since: number }): number {
    let end = Number.POSITIVE_INFINITY;
    for (const other of this.#seen.values()) {
      const later = other.incarnation === r.incarnation ? other.generation > r.generation : other.since > r.since;
      if (later) end = Math.min(end, other.since);
    }
    return end;
  }

  #held(v: PodView, after: number): boolean {
    if (v.source !== 'shared') return false;
    for (const r of this.#seen.values()) {
      if (r.state === v.state && r.generation === v.generation && this.#endOf(r) >= after) return true;
    }
    return false;
  }

  /** Whether `v` is what Redis held at `t` (or started to hold later: a pod may hear of it before the observer). */
  current(v: PodView, t: number): boolean {
    return this.#held(v, t);
  }

  /** Whether a pod whose view is `v` at `t` follows Redis within `boundMs`: its view is a state Redis still held at t − bound or later. */
  fresh(v: PodView, t: number, boundMs: number): boolean {
    return this.#held(v, t - boundMs);
  }
}

/** Options the scenario refuses, with what is wrong. */
export function checkScenarioOptions(o: Required<Omit<RedisRestartScenarioOptions, 'log'>>): void {
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`${name}: expected an integer in [${min}, ${max}], got ${v}`);
    }
  };
  int('pods', o.pods, 2, 1_000);
  int('tripPods', o.tripPods, 1, o.pods);
  int('successes', o.successes, 0, 10_000_000);
  int('successMs', o.successMs, 10, 600_000);
  int('rejoinFailures', o.rejoinFailures, 20, 100_000); // the default threshold: the rejoiner must trip alone
  int('observeMs', o.observeMs, 1_000, 600_000);
  int('minObserveMs', o.minObserveMs, 0, o.observeMs);
  int('holdMs', o.holdMs, 0, o.observeMs);
  int('sampleMs', o.sampleMs, 1, 1_000);
  int('seed', o.seed, 0, 2 ** 32 - 1);
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: did not happen within ${timeoutMs} ms`);
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same roles. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick(rng: () => number, n: number): number {
  return Math.floor(rng() * n);
}

function shuffle<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = pick(rng, i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
