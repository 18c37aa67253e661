// A pod process of the campaign: one ClusterBreaker with its own connections (through
// the pod's own TCP proxy), ordinary traffic (allow + record, probes when half-open),
// and reports to the orchestrator over IPC: its view whenever it changes, every probe
// lease granted and reported, how long allow()/record*() took, and its memory.
// Started by pod-handle.ts with tsx; its one argument is a PodSpec (JSON).
import { type ClusterBreaker, createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';
import { FAIL_FAST_CLUSTER_READY } from '@breakwater/breaker-core/internal';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { CallTimer } from './call-timer.js';
import { type OrchestratorMessage, type PodMessage, type PodSpec, SLOW_CALL_CPU_MS } from './messages.js';

const spec = JSON.parse(process.argv[2] ?? '') as PodSpec;
// Listening keeps the IPC channel (and so the process) alive while the breaker starts.
const early = () => {};
process.on('message', early);

function send(m: PodMessage): void {
  if (process.connected) process.send?.(m);
}

let failing = false;
let holdNext = false;
let closing = false;
const held: Array<{ lease: ProbeLease; source: 'shared' | 'local' }> = [];
const sources = new Map<string, 'shared' | 'local'>();

// allow()/record*() accounting (wall clock and the main thread's own CPU), sent every second.
const timer = new CallTimer({ limitMs: SLOW_CALL_CPU_MS });
const timed = <T>(call: string, fn: () => T): T | undefined => timer.time(call, fn);

function redisOption(): ConstructorParameters<typeof Cluster>[0] | RedisOptions | string | Cluster {
  const t = spec.target;
  switch (t.kind) {
    case 'standalone':
      return t.url;
    case 'cluster':
      return new Cluster([...t.startupNodes], { lazyConnect: true, natMap: t.natMap });
    case 'sentinel':
      return { sentinels: [...t.sentinels], name: t.name, natMap: t.natMap, updateSentinels: false };
  }
}

const breaker: ClusterBreaker = await createClusterBreaker({
  name: spec.breaker,
  podId: spec.podId,
  prefix: spec.prefix,
  config: spec.config,
  redis: redisOption() as string,
});

/**
 * The pod's path to the breaker's master, measured beside the breaker: a connection of
 * the same kind through the same proxy, with the breaker's fail-fast settings (on a
 * Cluster, no ready check, as its command connection) and reconnect backoff, asked every 200 ms (ROLE on the master; on a Cluster, EXISTS of the
 * breaker's key, routed to its slot's master). An answer later than `commandTimeoutMs`
 * (250 ms, the breaker's deadline), an error or a replica's answer is a slow path: the
 * pod does not "reach Redis" in the sense of the staleness bound (its connection does not
 * answer within the deadline, whether Redis, the network or the pod's own loop is late).
 */
const PATH_EVERY_MS = 200;
const COMMAND_TIMEOUT_MS = 250;
const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), 2_000);
const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: backoff };
const stateKey = `${spec.prefix}:{${spec.breaker}}:state`;
function pathClient(): Redis | Cluster {
  const t = spec.target;
  switch (t.kind) {
    case 'standalone':
      return new Redis(t.url, failFast);
    case 'cluster':
      // No ready check, as on the breaker's own command connection: ioredis's CLUSTER INFO
      // check fails ('Connection is closed.') on a node whose connection is still opening,
      // and each failure is a whole reconnect on a doubling backoff; with it this probe
      // would judge a slow path the breaker does not have.
      return new Cluster([...t.startupNodes], {
        natMap: t.natMap,
        enableOfflineQueue: false,
        ...FAIL_FAST_CLUSTER_READY,
        clusterRetryStrategy: backoff,
        redisOptions: failFast,
      });
    case 'sentinel':
      return new Redis({
        sentinels: [...t.sentinels],
        name: t.name,
        natMap: t.natMap,
        updateSentinels: false,
        role: 'master',
        sentinelRetryStrategy: backoff,
        sentinelCommandTimeout: 1_000,
        ...failFast,
      });
  }
}
const path = pathClient();
path.on('error', () => {});
let pathOk: boolean | undefined;
function pathIs(ok: boolean, at: number): void {
  if (ok === pathOk) return;
  pathOk = ok;
  send({ t: 'path', ok, at });
}
async function askPath(): Promise<boolean> {
  if (spec.target.kind === 'cluster') {
    await path.exists(stateKey);
    return true;
  }
  const role = (await path.call('ROLE')) as unknown[];
  return role[0] === 'master';
}
const pathTimer = setInterval(() => {
  const sentAt = Date.now();
  let answered = false;
  const late = setTimeout(() => {
    if (!answered) pathIs(false, sentAt);
  }, COMMAND_TIMEOUT_MS);
  askPath().then(
    (master) => {
      answered = true;
      clearTimeout(late);
      const now = Date.now();
      if (!master || now - sentAt > COMMAND_TIMEOUT_MS) pathIs(false, sentAt);
      else pathIs(true, now);
    },
    () => {
      answered = true;
      clearTimeout(late);
      pathIs(false, sentAt);
    },
  );
}, PATH_EVERY_MS);

let last = '';
function sampleView(): void {
  const v = {
    state: breaker.state,
    generation: breaker.generation,
    incarnation: breaker.snapshot.incarnation,
    source: breaker.source,
  };
  const key = `${v.state}/${v.generation}/${v.incarnation}/${v.source}`;
  if (key === last) return;
  last = key;
  send({ t: 'view', at: Date.now(), ...v });
}
breaker.onStateChange(() => sampleView());
breaker.onProbeGranted(({ lease, source }) => sources.set(lease.token, source));

let probing = false;
async function probe(): Promise<void> {
  probing = true;
  try {
    const lease = await breaker.acquireProbe();
    if (!lease) return;
    const source = sources.get(lease.token) ?? breaker.source;
    sources.delete(lease.token);
    // Only a shared lease is held for the probe-holder fault: a lease the pod granted
    // itself on its local fallback would keep this pod from probing for the shared one.
    const hold = holdNext && source === 'shared';
    send({
      t: 'grant',
      at: Date.now(),
      token: lease.token,
      generation: lease.generation,
      incarnation: breaker.snapshot.incarnation,
      expiresAt: lease.expiresAt,
      source,
      held: hold,
    });
    if (hold) {
      held.push({ lease, source }); // until the orchestrator kills this pod, or lets go
      return;
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    await report(lease, source);
  } finally {
    probing = false;
  }
}

async function report(lease: ProbeLease, source: 'shared' | 'local'): Promise<void> {
  const outcome = failing ? 'failure' : 'success';
  const sentAt = Date.now();
  const accepted = await breaker.reportProbe(lease, outcome);
  send({
    t: 'report',
    sentAt,
    at: Date.now(),
    token: lease.token,
    generation: lease.generation,
    incarnation: breaker.snapshot.incarnation,
    outcome,
    accepted,
    source,
  });
}

const tickMs = Math.max(5, Math.round(1000 / spec.callsPerSecond));
const traffic = setInterval(() => {
  if (closing) return;
  const ok = timed('allow', () => breaker.allow());
  if (ok) {
    if (failing) timed('recordFailure', () => breaker.recordFailure());
    else timed('recordSuccess', () => breaker.recordSuccess());
  }
  if (!probing && held.length === 0 && breaker.state === 'half_open') void probe().catch(() => {});
}, tickMs);

const sampler = setInterval(sampleView, spec.sampleMs);

function sendStats(): void {
  const m = process.memoryUsage();
  send({
    t: 'stats',
    at: Date.now(),
    rss: m.rss,
    heapUsed: m.heapUsed,
    handles: process.getActiveResourcesInfo().length,
  });
}

const reporter = setInterval(() => {
  send({ t: 'calls', at: Date.now(), ...timer.take() });
  sendStats();
}, 1000);

/** The pod's own event loop held by synchronous work: no timer and no I/O callback runs meanwhile. */
function busy(ms: number): void {
  const from = Date.now();
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: like a pod whose sessions keep the loop this long
  }
  send({ t: 'stalled', from, to: Date.now() });
}

process.on('message', (m: OrchestratorMessage) => {
  switch (m.t) {
    case 'upstream':
      failing = m.failing;
      break;
    case 'stall':
      busy(m.ms);
      break;
    case 'holdNextProbe':
      holdNext = m.hold;
      if (!m.hold) {
        for (const h of held.splice(0)) void report(h.lease, h.source).catch(() => {});
      }
      break;
    case 'stats':
      sendStats();
      break;
    case 'close':
      closing = true;
      clearInterval(traffic);
      clearInterval(sampler);
      clearInterval(reporter);
      clearInterval(pathTimer);
      timer.close();
      path.disconnect();
      void breaker.close().finally(() => process.exit(0));
      break;
  }
});
process.off('message', early);
process.on('disconnect', () => process.exit(0));

sampleView();
send({ t: 'ready', at: Date.now() });
