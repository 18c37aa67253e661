import { Redis } from 'ioredis';

/** Where a node listens; a RedisServer is one. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Runs `fn` on a short-lived connection to one node and closes it. Every
 * command is bounded (a paused node fails it instead of hanging the harness)
 * and nothing is retried: the harness polls instead.
 */
export async function withClient<T>(
  node: NodeAddress,
  fn: (client: Redis) => Promise<T>,
  password?: string,
): Promise<T> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    password,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  client.on('error', () => {}); // the command's rejection says it
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** `INFO` / `CLUSTER INFO` text as key/value pairs. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}

/** A flat `[k1, v1, k2, v2, …]` reply (SENTINEL MASTER, SENTINEL REPLICAS entries) as an object. */
export function parsePairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(flat)) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes.
 * A probe that throws (a node down or paused) counts as "not yet". The error at
 * the end names `what` and the probe's last word (`describe()` or its error).
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  describe?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = describe?.() ?? '';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? ` (last: ${last})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Why a poll is not done yet, for its timeout error: `return note.notYet('replica 7001 not in sync')`. */
export class PollNote {
  text = '';

  notYet(reason: string): undefined {
    this.text = reason;
    return undefined;
  }
}
