import type { Redis } from 'ioredis';
import { freePortPair } from './free-port.js';
import { type NodeAddress, PollNote, parseInfo, pollUntil, withClient } from './node-client.js';
import type { Failover } from './redis-sentinel.js';
import { type RedisServer, startServer } from './redis-server.js';

export interface StartRedisClusterOptions {
  /** Number of masters, each owning an equal share of the 16384 slots. @default 3 */
  masters?: number;
  /** Replicas of each master (`CLUSTER REPLICATE`), 0–2. @default 0 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long before a silent node is considered failing. @default 2000 */
  nodeTimeoutMs?: number;
  /** How long to wait for `cluster_state:ok` (and replicas in sync) on every node. @default 20_000, 40_000 with replicas */
  readyTimeoutMs?: number;
  /** `requirepass` (and `masterauth`) on every node; give it to ioredis as `redisOptions.password`. */
  password?: string;
}

/** A real Redis Cluster of local masters (and their replicas), owned by the process that started it. */
export interface RedisCluster {
  /** Every node: the masters first, in start order, then the replicas; failovers change their roles. */
  readonly nodes: readonly RedisServer[];
  /** For `new Redis.Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
  /** The master that owns the slot of `key` now (honours `{hash tags}`). */
  nodeForKey(key: string): Promise<RedisServer>;
  /** `CLUSTER INFO` of one node, parsed into key/value pairs. */
  info(node?: RedisServer): Promise<Record<string, string>>;
  /** The replicas of `master` now, as a live node sees them. */
  replicasOf(master: RedisServer): Promise<RedisServer[]>;
  /**
   * `CLUSTER FAILOVER` on a replica of `master`: the coordinated manual failover
   * (the master stops writes until the replica has caught up, so nothing is lost).
   * Resumes stalled replicas first. Resolves once every live node sees the
   * replica as the slots' master and the old master as its replica, in sync.
   */
  failover(master: RedisServer, timeoutMs?: number): Promise<Failover>;
  /**
   * SIGKILLs `master` and waits until a replica has taken its slots on every
   * live node (`nodeTimeoutMs` to notice, then the election) with
   * `cluster_state:ok`. Replicas stalled by {@link stallReplication} are resumed
   * right after the kill: the promoted one has missed every write since the stall.
   */
  killMaster(master: RedisServer, timeoutMs?: number): Promise<Failover>;
  /** Waits until a replica of `from` owns its slots on every live node: the end of a failover the caller caused. */
  waitForFailover(from: RedisServer, timeoutMs?: number): Promise<Failover>;
  /**
   * Freezes `master`'s replicas (SIGSTOP) and closes their replication links on
   * it (`CLIENT KILL TYPE replica`): from now on its writes reach it alone.
   */
  stallReplication(master: RedisServer): Promise<readonly RedisServer[]>;
  /** SIGCONTs the replicas {@link stallReplication} froze. */
  resumeReplication(): Promise<void>;
  stop(): Promise<void>;
}

const SLOTS = 16_384;

/** One line of `CLUSTER NODES`. */
interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  readonly masterId: string | undefined;
  readonly slots: readonly string[];
}

/**
 * Starts `masters` cluster-enabled servers (and `replicasPerMaster` replicas of
 * each), assigns slots, joins them, attaches the replicas and waits for
 * `cluster_state:ok` with every replica in sync.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1 || masters > 16) {
    throw new RangeError(`masters must be an integer in 1..16, got ${masters}`);
  }
  const perMaster = options.replicasPerMaster ?? 0;
  if (!Number.isInteger(perMaster) || perMaster < 0 || perMaster > 2) {
    throw new RangeError(`replicasPerMaster must be an integer in 0..2, got ${perMaster}`);
  }
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? (perMaster > 0 ? 40_000 : 20_000);
  const { password } = options;
  const on = <T>(node: NodeAddress, fn: (c: Redis) => Promise<T>) => withClient(node, fn, password);
  const nodes: RedisServer[] = [];
  let stalled: RedisServer[] = [];
  const live = (n: RedisServer) => n.isRunning() && !n.isPaused();

  const clusterNodes = async (node: RedisServer): Promise<NodeLine[]> =>
    parseNodes(String(await on(node, (c) => c.call('CLUSTER', 'NODES'))));
  const info = (node: RedisServer = nodes.find(live) ?? (nodes[0] as RedisServer)) =>
    on(node, async (c) => parseInfo(String(await c.call('CLUSTER', 'INFO'))));
  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no harness node listens on ${port}`);
    return node;
  };
  const anyLive = () => {
    const node = nodes.find(live);
    if (!node) throw new Error('no live cluster node');
    return node;
  };

  try {
    for (let i = 0; i < masters * (1 + perMaster); i++) {
      const port = await freePortPair();
      nodes.push(
        await startServer({ port, readyTimeoutMs }, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--cluster-port',
          String(port + 10_000),
          '--repl-diskless-sync-delay',
          '0',
          ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
        ]),
      );
    }
    await formCluster(nodes, masters, perMaster, readyTimeoutMs, on, clusterNodes);
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw err;
  }

  const note = new PollNote();
  const notYet = (reason: string) => note.notYet(reason);
  /** `to` owns slots and `from` none on every live node, cluster_state:ok everywhere; `from`, if live, a synced replica of `to`. */
  const settled = async (from: RedisServer, to: RedisServer): Promise<Failover | undefined> => {
    let toId: string | undefined;
    for (const n of nodes.filter(live)) {
      if ((await info(n)).cluster_state !== 'ok') return notYet(`${n.port}: cluster_state not ok`);
      const lines = await clusterNodes(n);
      const t = lines.find((l) => l.port === to.port);
      const f = lines.find((l) => l.port === from.port);
      if (
        !t?.flags.includes('master') ||
        t.flags.includes('fail') ||
        t.slots.length === 0 ||
        (f?.slots.length ?? 0) > 0
      ) {
        return notYet(`${n.port} sees ${to.port} as ${t?.flags.join(',')} with ${t?.slots.length} slot ranges`);
      }
      if (live(from) && f?.masterId !== t.id) return notYet(`${n.port}: ${from.port} not yet a replica`);
      toId = t.id;
    }
    if (live(from)) {
      const r = parseInfo(String(await on(from, (c) => c.call('INFO', 'replication'))));
      if (r.master_link_status !== 'up') return notYet(`${from.port}: link ${r.master_link_status}`);
    }
    return toId === undefined ? undefined : { from, to };
  };

  const replicasOf = async (master: RedisServer): Promise<RedisServer[]> => {
    const lines = await clusterNodes(anyLive());
    const id = lines.find((l) => l.port === master.port)?.id;
    return lines.filter((l) => l.masterId === id && l.flags.includes('slave')).map((l) => byPort(l.port));
  };

  const waitForFailover = async (from: RedisServer, timeoutMs = readyTimeoutMs): Promise<Failover> => {
    const done = await pollUntil(
      async () => {
        const to = await promoted(from, await clusterNodes(anyLive()));
        return to ? settled(from, to) : notYet(`no replica of ${from.port} has its slots yet`);
      },
      timeoutMs,
      `failover away from ${from.port}`,
      () => note.text,
    );
    await rememberSlots();
    return done;
  };

  /** Slot ranges per master, as of the cluster forming or the last failover. */
  const slotsOf = new Map<number, string>();
  /** The other master that now owns exactly the slots `from` owned. */
  const promoted = async (from: RedisServer, lines: NodeLine[]): Promise<RedisServer | undefined> => {
    const mine = slotsOf.get(from.port);
    if (mine === undefined) return undefined;
    const owner = lines.find((l) => l.port !== from.port && l.flags.includes('master') && l.slots.join(' ') === mine);
    return owner ? byPort(owner.port) : undefined;
  };
  const rememberSlots = async () => {
    for (const l of await clusterNodes(anyLive())) if (l.slots.length > 0) slotsOf.set(l.port, l.slots.join(' '));
  };
  await rememberSlots();

  const resumeReplication = async (): Promise<void> => {
    const frozen = stalled;
    stalled = [];
    await Promise.all(frozen.filter((n) => n.isPaused()).map((n) => n.resume()));
  };

  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    info,
    async nodeForKey(key) {
      return on(anyLive(), async (c) => {
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        const node = owner && nodes.find((n) => n.port === Number(owner[2][1]));
        if (!node) throw new Error(`no node owns slot ${slot} of key ${key}`);
        return node;
      });
    },
    replicasOf,
    async failover(master, timeoutMs = readyTimeoutMs) {
      await resumeReplication();
      const replica = (await replicasOf(master)).find(live);
      if (!replica) throw new Error(`${master.port} has no live replica to fail over to`);
      await on(replica, (c) => c.call('CLUSTER', 'FAILOVER'));
      const done = await pollUntil(
        () => settled(master, replica),
        timeoutMs,
        `CLUSTER FAILOVER to ${replica.port}`,
        () => note.text,
      );
      await rememberSlots();
      return done;
    },
    async killMaster(master, timeoutMs = readyTimeoutMs) {
      await master.kill();
      await resumeReplication();
      return waitForFailover(master, timeoutMs);
    },
    waitForFailover,
    async stallReplication(master) {
      const replicas = (await replicasOf(master)).filter(live);
      // Frozen first, then cut: a frozen replica cannot reconnect and resync.
      await Promise.all(replicas.map((r) => r.pause()));
      stalled.push(...replicas);
      await on(master, (c) => c.call('CLIENT', 'KILL', 'TYPE', 'replica'));
      return replicas;
    },
    resumeReplication,
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
    },
  };
}

async function formCluster(
  nodes: RedisServer[],
  masters: number,
  perMaster: number,
  readyTimeoutMs: number,
  on: <T>(node: NodeAddress, fn: (c: Redis) => Promise<T>) => Promise<T>,
  clusterNodes: (node: RedisServer) => Promise<NodeLine[]>,
): Promise<void> {
  const share = Math.ceil(SLOTS / masters);
  const deadline = readyTimeoutMs;
  await Promise.all(
    nodes.slice(0, masters).map((node, i) =>
      on(node, async (c) => {
        const from = i * share;
        const to = Math.min(SLOTS, (i + 1) * share) - 1;
        await c.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
      }),
    ),
  );
  // The first node introduces everyone; gossip does the rest.
  await on(nodes[0] as RedisServer, async (c) => {
    for (const other of nodes.slice(1)) await c.call('CLUSTER', 'MEET', other.host, other.port);
  });
  const started = Date.now();
  const left = () => Math.max(1_000, deadline - (Date.now() - started));
  const infoOf = async (n: RedisServer) => parseInfo(String(await on(n, (c) => c.call('CLUSTER', 'INFO'))));
  let last: Record<string, string> = {};
  await pollUntil(
    async () => {
      for (const n of nodes) {
        last = await infoOf(n);
        if (Number(last.cluster_known_nodes) !== nodes.length) return undefined;
      }
      return true;
    },
    left(),
    `every cluster node knowing all ${nodes.length}`,
    () => JSON.stringify(last),
  );
  if (perMaster > 0) {
    const ids = await Promise.all(
      nodes.slice(0, masters).map((m) => on(m, async (c) => String(await c.call('CLUSTER', 'MYID')))),
    );
    await Promise.all(
      nodes
        .slice(masters)
        .map((replica, j) =>
          pollUntil(
            () =>
              on(replica, async (c) =>
                (await c.call('CLUSTER', 'REPLICATE', ids[j % masters] as string)) ? true : undefined,
              ),
            left(),
            `CLUSTER REPLICATE on ${replica.port}`,
          ),
        ),
    );
  }
  const note = new PollNote();
  const notYet = (reason: string) => note.notYet(reason);
  await pollUntil(
    async () => {
      for (const n of nodes) {
        last = await infoOf(n);
        if (last.cluster_state !== 'ok' || Number(last.cluster_known_nodes) !== nodes.length) {
          return notYet(`${n.port}: ${JSON.stringify(last)}`);
        }
        // Every node must know the replicas as replicas: the masters vote in their elections.
        const replicas = (await clusterNodes(n)).filter((l) => l.flags.includes('slave'));
        if (replicas.length !== nodes.length - masters) return notYet(`${n.port} knows ${replicas.length} replicas`);
      }
      for (const r of nodes.slice(masters)) {
        const info = parseInfo(String(await on(r, (c) => c.call('INFO', 'replication'))));
        if (info.master_link_status !== 'up') return notYet(`replica ${r.port}: link ${info.master_link_status}`);
      }
      return true;
    },
    left(),
    'cluster_state:ok with every replica in sync',
    () => note.text,
  );
}

/** `CLUSTER NODES` text, one entry per node. */
function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.trim().split(' ');
      return {
        id,
        port: Number(address.split('@')[0]?.split(':').at(-1)),
        flags: flags.split(','),
        masterId: master === '-' ? undefined : master,
        slots,
      };
    });
}
