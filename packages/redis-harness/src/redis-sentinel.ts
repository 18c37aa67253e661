import type { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { type NodeAddress, PollNote, parseInfo, parsePairs, pollUntil, withClient } from './node-client.js';
import { type RedisServer, startServer } from './redis-server.js';

export interface StartRedisSentinelOptions {
  /** The name the sentinels monitor the master under. @default 'mymaster' */
  masterName?: string;
  /** Replicas of the master, 0–4. @default 1 */
  replicas?: number;
  /** Sentinel processes, 1–7. @default 3 */
  sentinels?: number;
  /** Sentinels that must agree the master is down. @default a majority of `sentinels` */
  quorum?: number;
  /** `down-after-milliseconds`: how long the master may be silent before a sentinel calls it down, 100–60,000. @default 1000 */
  downAfterMs?: number;
  /** `failover-timeout`, 1,000–180,000. Also spaces automatic failovers of the same master (2 × this). @default 3000 */
  failoverTimeoutMs?: number;
  /** `requirepass` (and `masterauth`) on the master and replicas; the sentinels get it as `auth-pass`. */
  password?: string;
  /** `requirepass` on the sentinels themselves (and `sentinel-pass`, so they can talk to each other). */
  sentinelPassword?: string;
  /** Bound on start-up: every server answering, replicas in sync, every sentinel seeing all the others. @default 30_000 */
  readyTimeoutMs?: number;
}

/** What ioredis needs to connect through the sentinels: `new Redis(sentinel.redisOptions())`. */
export interface SentinelConnectOptions {
  sentinels: Array<{ host: string; port: number }>;
  name: string;
  password?: string;
  sentinelPassword?: string;
}

/** The data node that was master before a failover, and the one after. */
export interface Failover {
  readonly from: RedisServer;
  readonly to: RedisServer;
}

/** A real Sentinel deployment: one master, its replicas and the sentinels watching them. */
export interface RedisSentinel {
  readonly masterName: string;
  /** The sentinel processes. */
  readonly sentinels: readonly RedisServer[];
  /** The master and its replicas, in start order (the first started as master); failovers change their roles. */
  readonly dataNodes: readonly RedisServer[];
  readonly downAfterMs: number;
  /** Sentinels, master name and passwords, for `new Redis(...)` or `createClusterBreaker({ redis })`. */
  redisOptions(): SentinelConnectOptions;
  /** The data node the (first answering) sentinel names as master now. */
  master(): Promise<RedisServer>;
  /**
   * `SENTINEL FAILOVER`: promotes a replica without waiting for the master to be
   * down, the old master becomes its replica. Resumes stalled replicas first.
   * Resolves once the topology is healthy again around the new master.
   */
  failover(timeoutMs?: number): Promise<Failover>;
  /**
   * SIGKILLs the master and waits for the sentinels to promote a replica
   * (`downAfterMs` + election + promotion). Replicas stalled by
   * {@link stallReplication} are resumed right after the kill: the promoted one
   * has missed every write made since the stall.
   */
  killMaster(timeoutMs?: number): Promise<Failover>;
  /**
   * Waits until the sentinels name a master other than `from` and every live
   * node (running, not paused) agrees: the end of a failover caused by a fault
   * the caller injected (e.g. pausing the master).
   */
  waitForFailover(from: RedisServer, timeoutMs?: number): Promise<Failover>;
  /**
   * Freezes the master's replicas (SIGSTOP) and closes their replication links
   * on the master (`CLIENT KILL TYPE replica`): from now on writes reach the
   * master only. {@link resumeReplication} lets the replicas catch up (the
   * master's backlog); {@link killMaster} loses those writes. Keep the stall
   * under ~10 × `downAfterMs`, or the sentinels will not promote a replica whose
   * link has been down that long.
   */
  stallReplication(): Promise<readonly RedisServer[]>;
  /** SIGCONTs the replicas {@link stallReplication} froze. */
  resumeReplication(): Promise<void>;
  /** Waits until every live sentinel names the same master, with every live replica in sync. Returns that master. */
  waitUntilHealthy(timeoutMs?: number): Promise<RedisServer>;
  /** `INFO <section>` of a data node, parsed. */
  info(node: RedisServer, section?: string): Promise<Record<string, string>>;
  /** Stops the sentinels, then the data nodes. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Starts a master, its replicas (`--replicaof`) and the sentinels monitoring it,
 * each through `startServer()` (free port, PONG wait, registered for orphan
 * reaping, faults), and waits until the deployment is healthy: replicas in
 * sync, every sentinel seeing the master, the replicas and the other sentinels.
 */
export async function startRedisSentinel(options: StartRedisSentinelOptions = {}): Promise<RedisSentinel> {
  const masterName = options.masterName ?? 'mymaster';
  if (!NAME_PATTERN.test(masterName)) {
    throw new RangeError(`masterName must be 1–64 of [A-Za-z0-9._-], got ${JSON.stringify(masterName)}`);
  }
  const replicaCount = intIn('replicas', options.replicas ?? 1, 0, 4);
  const sentinelCount = intIn('sentinels', options.sentinels ?? 3, 1, 7);
  const quorum = intIn('quorum', options.quorum ?? Math.floor(sentinelCount / 2) + 1, 1, sentinelCount);
  const downAfterMs = intIn('downAfterMs', options.downAfterMs ?? 1_000, 100, 60_000);
  const failoverTimeoutMs = intIn('failoverTimeoutMs', options.failoverTimeoutMs ?? 3_000, 1_000, 180_000);
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const { password, sentinelPassword } = options;

  const dataNodes: RedisServer[] = [];
  const sentinels: RedisServer[] = [];
  let stalled: RedisServer[] = [];
  const live = (n: RedisServer) => n.isRunning() && !n.isPaused();
  const onData = <T>(node: NodeAddress, fn: (c: Redis) => Promise<T>) => withClient(node, fn, password);
  const onSentinel = <T>(node: NodeAddress, fn: (c: Redis) => Promise<T>) => withClient(node, fn, sentinelPassword);

  /** The master's address as the first live sentinel that answers names it. */
  const namedMaster = async (): Promise<NodeAddress> => {
    let last: unknown = new Error('no live sentinel');
    for (const s of sentinels.filter(live)) {
      try {
        const reply = await onSentinel(s, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName));
        if (Array.isArray(reply)) return { host: String(reply[0]), port: Number(reply[1]) };
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
  const currentMaster = async (): Promise<RedisServer> => byPort(await namedMaster());
  const byPort = (address: NodeAddress): RedisServer => {
    const node = dataNodes.find((n) => n.port === address.port);
    if (!node) throw new Error(`the sentinels name ${address.host}:${address.port}, which is none of the data nodes`);
    return node;
  };

  // No 5 s wait for more replicas before a full sync: a resync after a failover takes milliseconds.
  const dataArgs = [
    '--repl-diskless-sync-delay',
    '0',
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
  ];
  const masterPort = await freePort();
  /** A data node's arguments: at first as started; on a restart, a replica of the master the sentinels name now. */
  const dataRole = (port: number, initialMaster: number | undefined) => {
    let started = false;
    return {
      password,
      args: async () => {
        let master = initialMaster === undefined ? undefined : { host: HOST, port: initialMaster };
        if (started) master = await namedMaster().catch(() => master);
        started = true;
        const replicaOf = master && master.port !== port ? ['--replicaof', master.host, String(master.port)] : [];
        return [...dataArgs, ...replicaOf];
      },
    };
  };
  const sentinelConfig = (port: number, master: NodeAddress): string =>
    [
      `port ${port}`,
      `bind ${HOST}`,
      'sentinel resolve-hostnames no',
      `sentinel monitor ${masterName} ${master.host} ${master.port} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${password}`]),
      ...(sentinelPassword === undefined
        ? []
        : [`requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`]),
      '',
    ].join('\n');

  const replication = async (node: RedisServer) =>
    parseInfo(String(await onData(node, (c) => c.call('INFO', 'replication'))));

  let expectedMaster: RedisServer;
  /** One look at the deployment: the master if it is healthy around it, else undefined (and `why`). */
  const note = new PollNote();
  const notYet = (reason: string) => note.notYet(reason);
  const healthyAround = async (master: RedisServer): Promise<RedisServer | undefined> => {
    const replicas = dataNodes.filter((n) => n !== master && live(n));
    const liveSentinels = sentinels.filter(live);
    if (liveSentinels.length === 0) return notYet('no live sentinel');
    for (const s of liveSentinels) {
      const named = await onSentinel(s, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName));
      if (!Array.isArray(named) || Number(named[1]) !== master.port) {
        return notYet(`sentinel ${s.port} names ${JSON.stringify(named)}, not ${master.port}`);
      }
      const m = parsePairs(await onSentinel(s, (c) => c.call('SENTINEL', 'MASTER', masterName)));
      if (m.flags !== 'master' || Number(m['num-other-sentinels']) !== sentinels.length - 1) {
        return notYet(`sentinel ${s.port}: flags ${m.flags}, other sentinels ${m['num-other-sentinels']}`);
      }
      const known = ((await onSentinel(s, (c) => c.call('SENTINEL', 'REPLICAS', masterName))) as unknown[]).map(
        parsePairs,
      );
      // The sentinels' flags, not their view of the link: they re-read a healthy replica only every 10 s.
      for (const r of replicas) {
        const entry = known.find((k) => Number(k.port) === r.port);
        if (entry?.flags !== 'slave') {
          return notYet(`sentinel ${s.port} sees replica ${r.port} as ${JSON.stringify(entry?.flags)}`);
        }
      }
    }
    if ((await replication(master)).role !== 'master') return notYet(`${master.port} is no master`);
    for (const r of replicas) {
      const info = await replication(r);
      if (info.role !== 'slave' || Number(info.master_port) !== master.port || info.master_link_status !== 'up') {
        return notYet(`replica ${r.port}: ${info.role} of ${info.master_port}, link ${info.master_link_status}`);
      }
    }
    return master;
  };

  const waitUntilHealthy = async (timeoutMs = readyTimeoutMs): Promise<RedisServer> => {
    const master = await pollUntil(
      async () => {
        const named = byPort(await namedMaster());
        return live(named) ? healthyAround(named) : notYet(`master ${named.port} is not live`);
      },
      timeoutMs,
      `Sentinel deployment ${masterName} becoming healthy`,
      () => note.text,
    );
    expectedMaster = master;
    return master;
  };

  const waitForFailover = async (from: RedisServer, timeoutMs = readyTimeoutMs): Promise<Failover> => {
    const to = await pollUntil(
      async () => {
        const named = byPort(await namedMaster());
        if (named === from) return notYet(`the sentinels still name ${from.port}`);
        return live(named) ? healthyAround(named) : notYet(`new master ${named.port} is not live`);
      },
      timeoutMs,
      `failover of ${masterName} away from ${from.port}`,
      () => note.text,
    );
    expectedMaster = to;
    return { from, to };
  };

  const resumeReplication = async (): Promise<void> => {
    const frozen = stalled;
    stalled = [];
    await Promise.all(frozen.filter((n) => n.isPaused()).map((n) => n.resume()));
  };

  try {
    const master = await startServer({ port: masterPort, readyTimeoutMs }, dataRole(masterPort, undefined));
    dataNodes.push(master);
    for (let i = 0; i < replicaCount; i++) {
      const port = await freePort();
      dataNodes.push(await startServer({ port, readyTimeoutMs }, dataRole(port, masterPort)));
    }
    expectedMaster = master;
    // Replicas in sync before the sentinels look: their first INFO of the master lists them.
    await pollUntil(
      async () => {
        for (const r of dataNodes.slice(1)) if ((await replication(r)).master_link_status !== 'up') return undefined;
        return true;
      },
      readyTimeoutMs,
      `replicas of ${masterPort} in sync`,
    );
    for (let i = 0; i < sentinelCount; i++) {
      const port = await freePort();
      let started = false;
      sentinels.push(
        await startServer(
          { port, readyTimeoutMs },
          {
            kind: 'redis-sentinel',
            password: sentinelPassword,
            args: () => ['--sentinel'],
            // A restarted sentinel monitors the master as it is now, not as it was.
            config: async () => {
              const now = started ? await namedMaster().catch(() => expectedMaster) : master;
              started = true;
              return sentinelConfig(port, now);
            },
          },
        ),
      );
    }
    await waitUntilHealthy(readyTimeoutMs);
  } catch (err) {
    await Promise.allSettled([...sentinels, ...dataNodes].map((n) => n.stop()));
    throw err;
  }

  return {
    masterName,
    sentinels,
    dataNodes,
    downAfterMs,
    redisOptions: () => ({
      sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: masterName,
      ...(password === undefined ? {} : { password }),
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
    }),
    master: currentMaster,
    async failover(timeoutMs = readyTimeoutMs) {
      await resumeReplication();
      const from = await waitUntilHealthy(timeoutMs);
      // A sentinel refuses while its view of the replicas is not yet good enough (-NOGOODSLAVE) or busy (-INPROG).
      await pollUntil(
        async () => {
          const s = sentinels.find(live);
          if (!s) throw new Error('no live sentinel');
          await onSentinel(s, (c) => c.call('SENTINEL', 'FAILOVER', masterName));
          return true;
        },
        timeoutMs,
        `SENTINEL FAILOVER ${masterName} accepted`,
      );
      return waitForFailover(from, timeoutMs);
    },
    async killMaster(timeoutMs = readyTimeoutMs) {
      const from = await currentMaster();
      await from.kill();
      await resumeReplication();
      return waitForFailover(from, timeoutMs);
    },
    waitForFailover,
    async stallReplication() {
      const master = await currentMaster();
      const replicas = dataNodes.filter((n) => n !== master && live(n));
      // Frozen first, then cut: a frozen replica cannot reconnect and resync.
      await Promise.all(replicas.map((r) => r.pause()));
      stalled.push(...replicas);
      await onData(master, (c) => c.call('CLIENT', 'KILL', 'TYPE', 'replica'));
      return replicas;
    },
    resumeReplication,
    waitUntilHealthy,
    info: async (node, section = 'replication') =>
      parseInfo(String(await onData(node, (c) => c.call('INFO', section)))),
    async stop() {
      await Promise.allSettled(sentinels.map((n) => n.stop()));
      await Promise.allSettled(dataNodes.map((n) => n.stop()));
    },
  };
}

function intIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}
