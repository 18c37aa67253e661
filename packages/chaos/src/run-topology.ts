import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadServerConfig, type RunningAdminServer, startAdminServer } from '@breakwater/admin-api';
import {
  type BreakerConfigInput,
  DEFAULT_CLUSTER_BREAKER_OPTIONS,
  isBreakerNotFoundError,
  RedisBreakerStore,
  type RedisClient,
} from '@breakwater/breaker-core';
import { pino } from 'pino';
import { convergedAt, convergenceLimitMs, stalledWithin } from './checks/convergence.js';
import { DIVERGENCE_LIMIT_MS, divergenceEpisodes } from './checks/divergence.js';
import { type Excluded, excludedTime } from './checks/excluded.js';
import { checkLeases } from './checks/leases.js';
import {
  APPARATUS_STALLED,
  APPARATUS_STALLED_PAST_DEADLINE,
  type FaultRecord,
  PROXY_STALLED,
  PROXY_STALLED_PAST_DEADLINE,
  Recording,
} from './checks/record.js';
import { checkSoak, type SoakFindings } from './checks/soak.js';
import { type Spread, spread, type Violation } from './checks/stats.js';
import { FAILOVER_KINDS, FAULT_KINDS, type FaultKind, type FaultSpec } from './faults/schedule.js';
import type { PodSpec } from './pod/messages.js';
import { PodHandle } from './pod/pod-handle.js';
import type { LoopDelay } from './proxy/messages.js';
import type { ProxyMode } from './proxy/pod-proxy.js';
import { ProxyHost, type RemoteProxy } from './proxy/proxy-host.js';
import { startCluster } from './topology/cluster.js';
import { startSentinel } from './topology/sentinel.js';
import { startStandalone } from './topology/standalone.js';
import { type ChaosTopology, type Marks, sleep, type TopologyKind } from './topology/topology.js';

export const BREAKER = 'pusher';
export const PREFIX = 'chaos';
/** The campaign's breaker rules: quick trips and cooldowns so a run sees many cycles; leases lapse in 3 s. */
export const CAMPAIGN_CONFIG: BreakerConfigInput = {
  windowMs: 10_000,
  failureThreshold: 20,
  cooldownMs: 1_000,
  maxCooldownMs: 4_000,
  probeLeaseMs: 3_000,
};
const OBSERVER_INTERVAL_MS = 100;
/** Observer reads slower than this (round trip) are not used to judge divergence. */
const OBSERVER_MAX_RTT_MS = 200;
/** A pod that reconnects: the connect time allowed on top of the reconnect backoff. */
export const CONNECT_MS = 1_000;
/** After a heal, how long a pod may take to answer on a new connection before it is deemed to reach Redis anyway. */
/** A pod reconnects within its backoff cap plus a connect: until then after a heal it is rejoining. */
export const REACH_CAP_MS = DEFAULT_CLUSTER_BREAKER_OPTIONS.reconnectMaxDelayMs + CONNECT_MS;
const ADMIN_TOKEN = 'chaos-operator-token-0000000000000000';
/** Pods whose TCP proxies share one proxy host process (30 pods: 2 hosts). */
const PODS_PER_PROXY_HOST = 15;

export interface TopologyRunOptions {
  readonly topology: TopologyKind;
  readonly pods: number;
  readonly schedule: readonly FaultSpec[];
  readonly soakSeconds: number;
  readonly callsPerSecond: number;
  readonly log: (line: string) => void;
  /** Write everything recorded (views, reads, windows, leases, faults) here, for investigating a finding. */
  readonly dumpFile?: string;
}

export interface ConvergenceByKind {
  readonly kind: FaultKind;
  readonly count: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

export interface TopologyResult {
  readonly topology: TopologyKind;
  readonly pods: number;
  readonly faults: number;
  readonly faultsByKind: Partial<Record<FaultKind, number>>;
  readonly divergence: Spread & { readonly episodesOver1s: number };
  readonly worstDivergence: { podId: string; at: string; ms: number; pod: string; redis: string } | undefined;
  readonly convergence: readonly ConvergenceByKind[];
  readonly leases: {
    readonly maxConcurrentPerGeneration: number;
    readonly maxGrantsPerGeneration: number;
    readonly sharedGrants: number;
    readonly duplicateTokenGrants: number;
    readonly lossyReaccepted: number;
    /** Reports accepted for a generation a lossy failover took Redis back to (absent in results from before it was counted). */
    readonly acceptedAfterRollback?: number;
    readonly accepted: number;
  };
  readonly calls: { readonly count: number; readonly maxWallMs: number; readonly maxCpuMs: number };
  readonly admin: { readonly actions: number; readonly byStatus: Record<string, number> };
  readonly observer: { readonly reads: number; readonly rttP50Ms: number; readonly rttP99Ms: number };
  readonly soak: SoakFindings | undefined;
  /** The orchestrator's event-loop delay over the run (perf_hooks, 10 ms resolution). */
  readonly orchestratorLoop?: LoopDelay;
  /** The proxy hosts' event-loop delay, the worst host's of each figure (their CPU summed). */
  readonly proxyHostLoop?: LoopDelay;
  /** Pod time divergence was not judged in, by reason (see checks/excluded.ts). */
  readonly excluded?: Excluded;
  readonly violations: readonly Violation[];
  readonly durationMs: number;
}

/** One topology's campaign: start it, the admin API and the pods, run the schedule, soak, check, stop. */
export async function runTopology(o: TopologyRunOptions): Promise<TopologyResult> {
  const started = Date.now();
  const rec = new Recording();
  const violations: Violation[] = [];
  const v = (check: Violation['check'], detail: string) => violations.push({ check, topology: o.topology, detail });
  o.log(`[${o.topology}] starting Redis`);
  const topo = await startTopology(o.topology);
  let admin: RunningAdminServer | undefined;
  const hosts: ProxyHost[] = [];
  const proxies: RemoteProxy[] = [];
  const pods: (PodHandle | undefined)[] = [];
  let observer: RedisClient | undefined;
  let observing = true;
  let observerLoop: Promise<void> = Promise.resolve();
  const stallMonitor = monitorStalls(rec);
  try {
    admin = await startAdminServer(
      loadServerConfig({
        ...topo.adminEnv(),
        PORT: '0',
        BREAKWATER_KEY_PREFIX: PREFIX,
        BREAKWATER_ADMIN_TOKENS: JSON.stringify([{ name: 'chaos', role: 'operator', token: ADMIN_TOKEN }]),
        BREAKWATER_ADMIN_RATE_BURST: '1000',
        BREAKWATER_ADMIN_RATE_PER_MINUTE: '60000',
        LOG_LEVEL: 'silent',
      }),
      // CHAOS_ADMIN_LOG=/path: the admin server's own log (warnings: its Redis, WAIT), for investigating.
      process.env.CHAOS_ADMIN_LOG
        ? pino(
            { level: 'info' },
            pino.destination({ dest: `${process.env.CHAOS_ADMIN_LOG}.${o.topology}.log`, sync: true }),
          )
        : pino({ level: 'silent' }),
    );
    const adminUrl = admin.url;

    // The observer: Redis's state, read directly (no proxy) every 100 ms.
    // A client that keeps failing (an ioredis Sentinel client can end for good in a
    // failover) is replaced after 10 failed reads in a row.
    observer = topo.observerClient();
    let store = new RedisBreakerStore({ client: observer, prefix: PREFIX });
    let failures = 0;
    observerLoop = (async () => {
      while (observing) {
        const sentAt = Date.now();
        if (failures >= 10) {
          observer?.disconnect();
          observer = topo.observerClient();
          store = new RedisBreakerStore({ client: observer, prefix: PREFIX });
          failures = 0;
        }
        try {
          const snap = await withTimeout(store.snapshot(BREAKER), 500);
          failures = 0;
          const recvAt = Date.now();
          rec.observerRttMs.push(recvAt - sentAt);
          rec.redis.push({
            at: (sentAt + recvAt) / 2,
            sentAt,
            recvAt,
            key: `${snap.state}/${snap.generation}/${snap.incarnation}`,
            generation: snap.generation,
            incarnation: snap.incarnation,
          });
        } catch (err) {
          const recvAt = Date.now();
          failures = isBreakerNotFoundError(err) ? 0 : failures + 1;
          if (isBreakerNotFoundError(err)) {
            rec.redis.push({
              at: (sentAt + recvAt) / 2,
              sentAt,
              recvAt,
              key: 'absent',
              generation: -1,
              incarnation: '',
            });
          }
        }
        await sleep(Math.max(0, OBSERVER_INTERVAL_MS - (Date.now() - sentAt)));
      }
    })();

    // The pods, each behind its own proxy.
    o.log(`[${o.topology}] starting ${o.pods} pods`);
    const specOf = (i: number, proxy: RemoteProxy): PodSpec => ({
      podId: `pod-${i}`,
      breaker: BREAKER,
      prefix: PREFIX,
      config: CAMPAIGN_CONFIG,
      target: topo.podTarget(proxy),
      callsPerSecond: o.callsPerSecond,
      sampleMs: 20,
    });
    const startPod = async (i: number): Promise<PodHandle> => {
      const proxy = proxies[i] as RemoteProxy;
      const pod = await PodHandle.start(
        specOf(i, proxy),
        (id, m) => rec.onPodMessage(id, m),
        (id, why) => {
          // A pod process must never die of what the campaign does to Redis or its path.
          rec.endLife(id, Date.now());
          v('campaign', `${id} crashed: ${why} (see its stderr above)`);
        },
      );
      rec.beginLife(`pod-${i}`, Date.now());
      return pod;
    };
    // The pods' proxies run in proxy hosts (child processes): their bytes never wait on this loop.
    const hostCount = Math.ceil(o.pods / PODS_PER_PROXY_HOST);
    for (let h = 0; h < hostCount; h++) {
      const served = Array.from({ length: o.pods }, (_, i) => i).filter((i) => i % hostCount === h);
      hosts.push(
        await ProxyHost.start(
          `proxy-host-${h}`,
          (from, to) => {
            // Its pods' Redis traffic was held: their windows, as the orchestrator's stalls are everyone's.
            const why =
              to - from > DEFAULT_CLUSTER_BREAKER_OPTIONS.commandTimeoutMs
                ? PROXY_STALLED_PAST_DEADLINE
                : PROXY_STALLED;
            for (const i of served) rec.addWindow(`pod-${i}`, { from, to, why });
          },
          (why) => v('campaign', `${why}: its pods lost their path to Redis`),
        ),
      );
    }
    for (let i = 0; i < o.pods; i++) proxies.push(await (hosts[i % hostCount] as ProxyHost).proxy(i, topo.upstreams()));
    /** Sets the mode of these pods' proxies; resolves with when the last host had applied it. */
    const setModes = async (podIdx: readonly number[], mode: ProxyMode, latencyMs = 0): Promise<number> => {
      const hit = podIdx.map((i) => proxies[i] as RemoteProxy);
      return Math.max(...(await Promise.all(hosts.map((h) => h.setMode(hit, mode, latencyMs)))));
    };
    for (let i = 0; i < o.pods; i += 4) {
      const batch = await Promise.all(Array.from({ length: Math.min(4, o.pods - i) }, (_, k) => startPod(i + k)));
      pods.push(...batch);
    }
    const setUpstream = (failing: boolean) => {
      for (const p of pods) p?.send({ t: 'upstream', failing });
    };

    // Agreement now, from the pods' last views and the observer's last read, a read made
    // at or after `since` (the heal: the checker judges convergence on reads after it).
    const agreeNow = (since: number): boolean => {
      const last = rec.redis.at(-1);
      if (!last || last.at < since || Date.now() - last.recvAt > 500) return false;
      for (let i = 0; i < pods.length; i++) {
        const views = rec.views.get(`pod-${i}`);
        if (!pods[i]?.alive || views?.at(-1)?.key !== last.key) return false;
      }
      return true;
    };
    const waitAgreement = async (timeoutMs: number, since = Date.now()): Promise<boolean> => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (agreeNow(since)) return true;
        await sleep(50);
      }
      return false;
    };

    // Warm-up: a trip, a half-open cycle and a close, so leases and generations move from the start.
    setUpstream(true);
    await sleep(1_500);
    setUpstream(false);
    await waitAgreement(20_000);

    const adminAction = async (action: 'force-open' | 'clear') => {
      const url =
        action === 'force-open'
          ? `${adminUrl}/v1/breakers/${BREAKER}/force-open`
          : `${adminUrl}/v1/breakers/${BREAKER}/override?reason=chaos`;
      let status = 0;
      let body = '';
      try {
        const res = await fetch(url, {
          method: action === 'force-open' ? 'POST' : 'DELETE',
          headers: {
            authorization: `Bearer ${ADMIN_TOKEN}`,
            ...(action === 'force-open' ? { 'content-type': 'application/json' } : {}),
          },
          body: action === 'force-open' ? JSON.stringify({ reason: 'chaos campaign', ttlSeconds: 10 }) : undefined,
          signal: AbortSignal.timeout(10_000),
        });
        status = res.status;
        body = await res.text();
      } catch (err) {
        status = -1;
        body = String(err);
      }
      // What a refusal said (its code and message), to tell an outage from a bug.
      const detail = status === 200 ? undefined : body.slice(0, 300);
      rec.admin.push({ at: Date.now(), action, status, ...(detail === undefined ? {} : { detail }) });
      if (detail !== undefined) o.log(`[${o.topology}] admin ${action} answered ${status}: ${detail}`);
      // 200, 404 (breaker gone with an emptied Redis), 503 (Redis down) are answers; 5xx else is a bug.
      if (status !== 200 && status !== 404 && status !== 503) v('admin', `${action} answered ${status}`);
    };

    // Marks for faults on Redis itself: every pod's path is down from `down` to its reach after `up`.
    const redisMarks = (): Marks & { downAt: number; upAt: number } => {
      const m = {
        downAt: 0,
        upAt: 0,
        down() {
          m.downAt = Date.now();
        },
        up() {
          m.upAt = Date.now();
          for (const h of hosts) h.markHeal(m.upAt);
        },
      };
      return m;
    };
    /** Windows for `podIdx` from `from` until each pod answers again after `healAt` (capped). */
    const reachWindows = async (podIdx: readonly number[], from: number, healAt: number, why: string) => {
      const until = healAt + REACH_CAP_MS;
      const open = new Set(podIdx);
      while (open.size > 0 && Date.now() < until) {
        for (const i of [...open]) if ((proxies[i] as RemoteProxy).reachedAt() !== undefined) open.delete(i);
        await sleep(25);
      }
      for (const i of podIdx) {
        const reached = (proxies[i] as RemoteProxy).reachedAt() ?? until;
        rec.addWindow(`pod-${i}`, { from, to: Math.min(reached, until), why });
      }
    };
    const all = pods.map((_, i) => i);

    for (const spec of o.schedule) {
      const fault: FaultRecord = { spec, startAt: Date.now(), healAt: 0, note: '', error: undefined };
      rec.faults.push(fault);
      if (spec.upstreamFails) setUpstream(true);
      const operator =
        spec.operator && spec.kind !== 'operator'
          ? sleep(Math.min(spec.holdMs, 1_000) / 2).then(() => adminAction(spec.operator as 'force-open' | 'clear'))
          : Promise.resolve();
      try {
        fault.note = await inject(spec);
      } catch (err) {
        fault.error = String(err);
        fault.healAt = fault.healAt || Date.now();
        v('campaign', `fault #${spec.index} ${spec.kind} could not be injected: ${String(err)}`);
      }
      await operator;
      setUpstream(false);
      const agreed = await waitAgreement(12_000, fault.healAt || Date.now());
      o.log(
        `[${o.topology}] #${spec.index} ${spec.kind}${spec.operator ? ` +${spec.operator}` : ''}: ${fault.note}${agreed ? '' : ' (no agreement within 12 s)'}`,
      );
      await sleep(300);
    }

    async function inject(spec: FaultSpec): Promise<string> {
      const fault = rec.faults.at(-1) as FaultRecord;
      const hit = spec.pods.filter((i) => i < pods.length);
      switch (spec.kind) {
        case 'redis-kill-restart':
        case 'redis-stop-cont':
        case 'failover-manual':
        case 'failover-kill': {
          const marks = redisMarks();
          let note: string;
          try {
            note =
              spec.kind === 'redis-kill-restart'
                ? await topo.killRestart(spec.holdMs, marks)
                : spec.kind === 'redis-stop-cont'
                  ? await topo.pauseResume(spec.holdMs, marks)
                  : spec.kind === 'failover-manual'
                    ? await topo.failoverManual(marks)
                    : await topo.failoverKill(marks);
          } finally {
            if (marks.upAt === 0) marks.up();
          }
          fault.healAt = marks.upAt;
          await reachWindows(all, marks.downAt, marks.upAt, spec.kind);
          return note;
        }
        case 'cut-blackhole':
        case 'cut-reset':
        case 'latency': {
          // The window opens before the hosts apply the mode; the heal is when the last one had.
          const from = Date.now();
          const mode = spec.kind === 'cut-blackhole' ? 'blackhole' : spec.kind === 'cut-reset' ? 'reset' : 'latency';
          await setModes(hit, mode, spec.latencyMs);
          await sleep(spec.holdMs);
          fault.healAt = await setModes(hit, 'pass');
          await reachWindows(hit, from, fault.healAt, spec.kind);
          return `${mode}${mode === 'latency' ? ` ${spec.latencyMs} ms` : ''} on ${hit.length} pods for ${spec.holdMs} ms`;
        }
        case 'pod-sigstop': {
          // Bursts: frozen and thawed a few times within the hold.
          const bursts = 1 + (spec.index % 3);
          const each = Math.round(spec.holdMs / bursts);
          for (let b = 0; b < bursts; b++) {
            const from = Date.now();
            for (const i of hit) pods[i]?.freeze();
            await sleep(each);
            for (const i of hit) pods[i]?.thaw();
            const to = Date.now();
            for (const i of hit) rec.addWindow(`pod-${i}`, { from, to, why: 'frozen' });
            await sleep(200);
          }
          fault.healAt = Date.now();
          return `${hit.length} pods SIGSTOP/SIGCONT, ${bursts} bursts of ${each} ms`;
        }
        case 'pod-busy-loop': {
          for (const i of hit) pods[i]?.send({ t: 'stall', ms: spec.holdMs });
          await sleep(spec.holdMs + 100);
          fault.healAt = Date.now();
          return `${hit.length} pods busy-looping ${spec.holdMs} ms`;
        }
        case 'probe-holder-kill':
          return killProbeHolder(fault);
        case 'operator': {
          await adminAction(spec.operator ?? 'force-open');
          await sleep(spec.holdMs);
          fault.healAt = Date.now();
          return `admin ${spec.operator}`;
        }
      }
    }

    /** Trip the breaker, let the next lease be held, SIGKILL its holder and start it again. */
    async function killProbeHolder(fault: FaultRecord): Promise<string> {
      const grantsBefore = rec.grants.length;
      for (const p of pods) p?.send({ t: 'holdNextProbe', hold: true });
      setUpstream(true);
      let holder: { podId: string; token: string } | undefined;
      const until = Date.now() + 30_000;
      while (!holder && Date.now() < until) {
        await sleep(1_500);
        setUpstream(false); // a tripped breaker half-opens after its cooldown; the next probe is held
        holder = rec.grants.slice(grantsBefore).find((g) => g.held && g.source === 'shared');
        if (!holder) {
          setUpstream(true);
          await sleep(300);
        }
      }
      for (const p of pods) p?.send({ t: 'holdNextProbe', hold: false });
      if (!holder) throw new Error('no pod was granted a shared lease within 30 s');
      const i = Number(holder.podId.slice('pod-'.length));
      const from = Date.now();
      await pods[i]?.kill();
      rec.killedHolders.add(holder.token);
      rec.endLife(holder.podId, from);
      await sleep(500);
      pods[i] = await startPod(i);
      fault.healAt = Date.now();
      rec.addWindow(holder.podId, { from, to: fault.healAt, why: 'restart' });
      return `${holder.podId} SIGKILLed holding the lease, restarted`;
    }

    // The soak: constant load, no faults.
    let soak: SoakFindings | undefined;
    if (o.soakSeconds > 0) {
      o.log(`[${o.topology}] soak ${o.soakSeconds} s at constant load`);
      setUpstream(false);
      await sleep(2_000);
      const keysBefore = await topo.keyCount(PREFIX);
      const soakFrom = Date.now();
      await sleep(o.soakSeconds * 1_000);
      const keysAfter = await topo.keyCount(PREFIX);
      soak = checkSoak(rec, soakFrom, Date.now(), keysBefore, keysAfter);
      for (const s of soak.violations) v('soak', s);
    }

    // Checks.
    stallMonitor.stop();
    rec.proxyLoopDelay = worstLoopDelay(await Promise.all(hosts.map((h) => h.loopDelay().catch(() => undefined))));
    observing = false;
    await observerLoop;
    rec.closeSlowPaths(Date.now());
    if (o.dumpFile) writeFileSync(o.dumpFile, JSON.stringify(rec, recordingReplacer));
    return checkRecording(rec, {
      topology: o.topology,
      pods: o.pods,
      soak,
      durationMs: Date.now() - started,
      end: Date.now(),
      runViolations: violations,
    });
  } finally {
    stallMonitor.stop();
    observing = false;
    await observerLoop.catch(() => {});
    observer?.disconnect();
    await Promise.allSettled(pods.map((p) => p?.close()));
    await Promise.allSettled(hosts.map((h) => h.close()));
    await admin?.close().catch(() => {});
    await topo.stop();
  }
}

export interface RecordingMeta {
  readonly topology: TopologyKind;
  readonly pods: number;
  readonly soak: SoakFindings | undefined;
  readonly durationMs: number;
  /** When the run ended (the last fault's convergence is looked for until then). */
  readonly end: number;
  /** Violations found while running (admin answers, crashes, faults not injected, the soak). */
  readonly runViolations: readonly Violation[];
}

/**
 * The checks over what one topology's run recorded: divergence, leases, calls,
 * convergence. Also run on a saved recording (CHAOS_DUMP, `--from-json`).
 */
export function checkRecording(rec: Recording, m: RecordingMeta): TopologyResult {
  const violations: Violation[] = [...m.runViolations];
  const v = (check: Violation['check'], detail: string) => violations.push({ check, topology: m.topology, detail });
  const episodes = divergenceEpisodes(rec, OBSERVER_MAX_RTT_MS, REACH_CAP_MS);
  const worst = episodes.reduce<(typeof episodes)[number] | undefined>(
    (w, e) => (!w || e.ms > w.ms ? e : w),
    undefined,
  );
  for (const e of episodes) {
    if (e.ms > DIVERGENCE_LIMIT_MS) {
      v(
        'divergence',
        `${e.podId} held ${e.pod} for ${e.ms.toFixed(0)} ms from ${iso(e.from)} while Redis held ${e.redis}`,
      );
    }
  }
  const leases = checkLeases(rec);
  for (const l of leases.violations) v('lease', l);
  for (const s of rec.slowCalls) {
    v(
      'calls',
      `${s.podId} ${s.call}() took ${s.cpuMs.toFixed(1)} ms CPU of its thread (${s.wallMs.toFixed(1)} ms wall${s.gcMs ? `, ${s.gcMs.toFixed(1)} ms GC left out` : ''}) at ${iso(s.at)}`,
    );
  }
  for (const e of rec.callErrors) v('calls', `${e.podId} threw: ${e.error}`);
  const limit = convergenceLimitMs(
    DEFAULT_CLUSTER_BREAKER_OPTIONS.reconnectMaxDelayMs,
    CONNECT_MS,
    DIVERGENCE_LIMIT_MS,
  );
  const convByKind = new Map<FaultKind, number[]>();
  rec.faults.forEach((f, k) => {
    if (f.error !== undefined) return;
    const next = rec.faults[k + 1]?.startAt ?? m.end;
    const at = convergedAt(rec, f, next, REACH_CAP_MS);
    // Time the orchestrator itself stalled (and the pods' grace after it) is not the fleet's.
    const ms = at === undefined ? Number.POSITIVE_INFINITY : at - f.healAt - stalledWithin(rec, f.healAt, at);
    convByKind.set(f.spec.kind, [...(convByKind.get(f.spec.kind) ?? []), ms]);
    if (ms > limit) {
      v(
        'convergence',
        `fault #${f.spec.index} ${f.spec.kind}: ${Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'no agreement before the next fault'} after the heal (limit ${limit} ms)`,
      );
    }
  });
  const faultsByKind: Partial<Record<FaultKind, number>> = {};
  for (const f of rec.faults) faultsByKind[f.spec.kind] = (faultsByKind[f.spec.kind] ?? 0) + 1;
  const byStatus: Record<string, number> = {};
  for (const a of rec.admin) byStatus[String(a.status)] = (byStatus[String(a.status)] ?? 0) + 1;
  const d = spread(episodes.map((e) => e.ms));
  const rtt = spread(rec.observerRttMs);
  return {
    topology: m.topology,
    pods: m.pods,
    faults: rec.faults.length,
    faultsByKind,
    divergence: { ...d, episodesOver1s: episodes.filter((e) => e.ms > 1_000).length },
    worstDivergence: worst && {
      podId: worst.podId,
      at: new Date(worst.from).toISOString(),
      ms: worst.ms,
      pod: worst.pod,
      redis: worst.redis,
    },
    convergence: FAULT_KINDS.filter((k) => convByKind.has(k)).map((kind) => {
      const s = spread(convByKind.get(kind) ?? []);
      return { kind, count: s.count, p50Ms: s.p50, maxMs: s.max };
    }),
    leases: {
      maxConcurrentPerGeneration: leases.maxConcurrentPerGeneration,
      maxGrantsPerGeneration: leases.maxGrantsPerGeneration,
      sharedGrants: leases.sharedGrants,
      duplicateTokenGrants: leases.duplicateTokenGrants,
      lossyReaccepted: leases.lossyReaccepted,
      acceptedAfterRollback: leases.acceptedAfterRollback,
      accepted: leases.accepted,
    },
    calls: { count: rec.calls, maxWallMs: rec.maxCallWallMs, maxCpuMs: rec.maxCallCpuMs },
    admin: { actions: rec.admin.length, byStatus },
    observer: { reads: rec.redis.length, rttP50Ms: rtt.p50, rttP99Ms: rtt.p99 },
    soak: m.soak,
    ...(rec.loopDelay ? { orchestratorLoop: rec.loopDelay } : {}),
    ...(rec.proxyLoopDelay ? { proxyHostLoop: rec.proxyLoopDelay } : {}),
    excluded: excludedTime(rec, m.end),
    violations,
    durationMs: m.durationMs,
  };
}

/** The fault kinds a topology can take (no failover on a single Redis). */
export function kindsFor(topology: TopologyKind): FaultKind[] {
  return FAULT_KINDS.filter((k) => topology !== 'standalone' || !FAILOVER_KINDS.includes(k));
}

async function startTopology(kind: TopologyKind): Promise<ChaosTopology> {
  switch (kind) {
    case 'standalone':
      return startStandalone();
    case 'cluster':
      return startCluster(`${PREFIX}:{${BREAKER}}:state`);
    case 'sentinel':
      return startSentinel();
  }
}

/** The orchestrator's loop is checked this often; a tick later than this by more than `STALL_LATE_MS` is a stall. */
const STALL_TICK_MS = 20;
const STALL_LATE_MS = 100;

/**
 * Records when the orchestrator's own event loop stalled (`rec.stalls`): it runs the
 * observer, the schedule and the pods' IPC, so while it is held no read of Redis is made
 * and no pod's report is taken in (the measuring apparatus, not the breaker). The pods'
 * proxies run in proxy hosts, which report their own stalls (their pods' windows). A stall longer than the breaker's command
 * deadline made the pods' commands time out: a pod on its local fallback within
 * `REACH_CAP_MS` after it is rejoining (see checks/divergence.ts). Started with the topology;
 * a machine too busy to run the orchestrator shows here, its size in the excluded time.
 */
function monitorStalls(rec: Recording): { stop(): void } {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - STALL_TICK_MS;
    if (late > STALL_LATE_MS) {
      const from = last + STALL_TICK_MS;
      const why =
        late > DEFAULT_CLUSTER_BREAKER_OPTIONS.commandTimeoutMs ? APPARATUS_STALLED_PAST_DEADLINE : APPARATUS_STALLED;
      if (rec.stalls.length < 10_000) rec.stalls.push({ from, to: now, why });
    }
    last = now;
  }, STALL_TICK_MS);
  // The loop's delay over the whole run, for the report (how loaded the apparatus was).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpuFrom = process.cpuUsage();
  let stopped = false;
  return {
    stop: () => {
      clearInterval(timer);
      if (stopped) return;
      stopped = true;
      delay.disable();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      const cpu = process.cpuUsage(cpuFrom);
      rec.loopDelay = {
        p50Ms: ms(delay.percentile(50)),
        p99Ms: ms(delay.percentile(99)),
        maxMs: ms(delay.max),
        cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      };
    },
  };
}

function worstLoopDelay(all: ReadonlyArray<LoopDelay | undefined>): LoopDelay | undefined {
  const known = all.filter((d) => d !== undefined);
  if (known.length === 0) return undefined;
  return {
    p50Ms: Math.max(...known.map((d) => d.p50Ms)),
    p99Ms: Math.max(...known.map((d) => d.p99Ms)),
    maxMs: Math.max(...known.map((d) => d.maxMs)),
    // The CPU is the hosts' together: what the apparatus spent proxying.
    cpuS: Math.round(known.reduce((sum, d) => sum + (d.cpuS ?? 0), 0) * 100) / 100,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 23);

function recordingReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value === Number.POSITIVE_INFINITY ? 'Infinity' : value;
}
