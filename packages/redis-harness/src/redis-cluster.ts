import { Redis } from 'ioredis';
import { freePortPair } from './free-port.js';
import { type RedisServer, startServer } from './redis-server.js';

export interface StartRedisClusterOptions {
  /** Number of masters, each owning an equal share of the 16384 slots. @default 3 */
  masters?: number;
  /** `cluster-node-timeout`: how long before a silent node is considered failing. @default 2000 */
  nodeTimeoutMs?: number;
  /** How long to wait for `cluster_state:ok` on every node. @default 20_000 */
  readyTimeoutMs?: number;
}

/** A real Redis Cluster of local masters, owned by the process that started it. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** For `new Redis.Cluster(startupNodes)`. */
  readonly startupNodes: ReadonlyArray<{ host: string; port: number }>;
  /** The node that owns the slot of `key` (honours `{hash tags}`). */
  nodeForKey(key: string): Promise<RedisServer>;
  /** `CLUSTER INFO` of one node, parsed into key/value pairs. */
  info(node?: RedisServer): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

const SLOTS = 16_384;

/** Starts `masters` cluster-enabled servers, assigns slots, joins them and waits for `cluster_state:ok`. */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1 || masters > 16) {
    throw new RangeError(`masters must be an integer in 1..16, got ${masters}`);
  }
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePortPair();
      nodes.push(
        await startServer({ port }, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(nodeTimeoutMs),
          '--cluster-port',
          String(port + 10_000),
        ]),
      );
    }
    await formCluster(nodes, options.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw err;
  }

  const info = (node: RedisServer = nodes[0] as RedisServer) =>
    withClient(node, async (c) => parseInfo(String(await c.call('CLUSTER', 'INFO'))));

  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    info,
    async nodeForKey(key) {
      const live = nodes.find((n) => n.isRunning()) ?? (nodes[0] as RedisServer);
      return withClient(live, async (c) => {
        const slot = Number(await c.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
        const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
        const node = owner && nodes.find((n) => n.port === Number(owner[2][1]));
        if (!node) throw new Error(`no node owns slot ${slot} of key ${key}`);
        return node;
      });
    },
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop()));
    },
  };
}

async function formCluster(nodes: RedisServer[], readyTimeoutMs: number): Promise<void> {
  const share = Math.ceil(SLOTS / nodes.length);
  await Promise.all(
    nodes.map((node, i) =>
      withClient(node, async (c) => {
        const from = i * share;
        const to = Math.min(SLOTS, (i + 1) * share) - 1;
        await c.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
        // The first node introduces everyone; gossip does the rest.
        if (i === 0) {
          for (const other of nodes.slice(1)) await c.call('CLUSTER', 'MEET', other.host, other.port);
        }
      }),
    ),
  );
  const deadline = Date.now() + readyTimeoutMs;
  for (const node of nodes) {
    for (;;) {
      const info = await withClient(node, async (c) => parseInfo(String(await c.call('CLUSTER', 'INFO'))));
      if (info.cluster_state === 'ok' && Number(info.cluster_known_nodes) === nodes.length) break;
      if (Date.now() > deadline) {
        throw new Error(`cluster did not reach cluster_state:ok within ${readyTimeoutMs} ms: ${JSON.stringify(info)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function withClient<T>(node: RedisServer, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}
