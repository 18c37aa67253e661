import { createServer, type Server, Socket } from 'node:net';

/**
 * What a pod's path to Redis does now:
 * - `pass`: bytes flow both ways;
 * - `blackhole`: nothing flows (a partition): open connections stall with their bytes
 *   held, new ones are accepted but never reach Redis; when the path heals, held bytes
 *   flow again (as TCP retransmits after a partition), unless the pod gave up first;
 * - `reset`: every open connection is reset and new ones are reset at once;
 * - `latency`: each chunk, both ways, is delayed by `latencyMs` (order kept).
 */
export type ProxyMode = 'pass' | 'blackhole' | 'reset' | 'latency';

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** What a topology needs of a pod's proxy to point the pod at it (a PodProxy, or one in a proxy host). */
export interface ProxyAddresses {
  /** The local port standing for `host:port`. */
  portFor(target: Upstream): number;
  /** ioredis `natMap`: every real address to its proxied one. */
  natMap(): Record<string, { host: string; port: number }>;
}

interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly acceptedAt: number;
  /** When Redis first answered on it while the path passed (for a heal marked after the fact). */
  firstAnsweredAt: number | undefined;
  /** Chunks held while blackholed or delayed: [direction, data, due]. */
  readonly held: Array<{ toUpstream: boolean; data: Buffer; due: number }>;
  timer: NodeJS.Timeout | undefined;
  readonly target: Upstream;
}

/**
 * One pod's TCP proxy: a listener per Redis node (or sentinel) on 127.0.0.1, so the
 * orchestrator can cut, reset or slow that pod's path alone. It also observes when
 * the pod's path answers again after a heal: the first bytes from Redis on a
 * connection the pod opened after the heal ({@link reachedAt}).
 */
export class PodProxy implements ProxyAddresses {
  readonly #servers: Server[] = [];
  readonly #pairs = new Set<Pair>();
  /** Real `host:port` → the local port the pod dials instead. */
  readonly ports = new Map<string, number>();
  #mode: ProxyMode = 'pass';
  #latencyMs = 0;
  #healedAt = 0;
  #reachedAt: number | undefined = 0;
  #closed = false;
  /** Told when the path first answers after a heal. */
  readonly #onReached: ((at: number) => void) | undefined;

  constructor(onReached?: (at: number) => void) {
    this.#onReached = onReached;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Listens for each upstream on a free local port. */
  async listen(upstreams: readonly Upstream[]): Promise<void> {
    for (const target of upstreams) {
      const server = createServer((client) => this.#accept(client, target));
      server.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('proxy: no port');
      this.ports.set(`${target.host}:${target.port}`, address.port);
      this.#servers.push(server);
    }
  }

  /** The local port standing for `host:port`. */
  portFor(target: Upstream): number {
    return proxiedPort(this.ports, target);
  }

  /** ioredis `natMap`: every real address to its proxied one. */
  natMap(): Record<string, { host: string; port: number }> {
    return natMapOf(this.ports);
  }

  setMode(mode: ProxyMode, latencyMs = 0): void {
    const was = this.#mode;
    this.#mode = mode;
    this.#latencyMs = mode === 'latency' ? latencyMs : 0;
    if (mode === 'reset') {
      for (const p of this.#pairs) this.#destroy(p, true);
    }
    if (mode === 'pass' && was !== 'pass') this.markHeal(Date.now());
    for (const p of this.#pairs) this.#drain(p);
  }

  /**
   * From `at` on, the next answer on a connection opened after it counts as the pod reaching
   * Redis again. `at` may be a moment ago (the heal was marked in another process): an answer
   * already given since, on a connection opened since, counts.
   */
  markHeal(at: number): void {
    this.#healedAt = at;
    this.#reachedAt = undefined;
    for (const p of this.#pairs) {
      if (p.acceptedAt >= at && p.firstAnsweredAt !== undefined) {
        this.#reachedAt = Math.min(this.#reachedAt ?? p.firstAnsweredAt, p.firstAnsweredAt);
      }
    }
    if (this.#reachedAt !== undefined) this.#onReached?.(this.#reachedAt);
  }

  /** When the pod's path first answered after the last heal (undefined: not yet). */
  reachedAt(): number | undefined {
    return this.#reachedAt;
  }

  connectionCount(): number {
    return this.#pairs.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#pairs) this.#destroy(p, false);
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #accept(client: Socket, target: Upstream): void {
    client.setNoDelay(true);
    if (this.#closed || this.#mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = {
      client,
      upstream: undefined,
      acceptedAt: Date.now(),
      firstAnsweredAt: undefined,
      held: [],
      timer: undefined,
      target,
    };
    this.#pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => this.#destroy(pair, false));
    client.on('data', (data) => this.#push(pair, true, data));
    this.#connectUpstream(pair);
  }

  #connectUpstream(pair: Pair): void {
    if (pair.upstream || this.#mode === 'blackhole') return; // a partition: the SYN never arrives
    const upstream = new Socket();
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => {});
    upstream.on('close', () => this.#destroy(pair, false));
    upstream.on('data', (data: Buffer) => this.#push(pair, false, data));
    upstream.connect(pair.target.port, pair.target.host, () => this.#drain(pair));
  }

  #push(pair: Pair, toUpstream: boolean, data: Buffer): void {
    pair.held.push({ toUpstream, data, due: Date.now() + this.#latencyMs });
    this.#drain(pair);
  }

  #drain(pair: Pair): void {
    if (!this.#pairs.has(pair)) return;
    if (this.#mode === 'blackhole') return;
    if (this.#mode === 'reset') return;
    if (!pair.upstream) {
      this.#connectUpstream(pair);
      return;
    }
    if (pair.upstream.connecting) return; // drained on connect
    const now = Date.now();
    while (pair.held.length > 0) {
      const next = pair.held[0] as { toUpstream: boolean; data: Buffer; due: number };
      if (next.due > now) {
        if (!pair.timer) {
          pair.timer = setTimeout(() => {
            pair.timer = undefined;
            this.#drain(pair);
          }, next.due - now);
        }
        return;
      }
      pair.held.shift();
      if (next.toUpstream) pair.upstream.write(next.data);
      else {
        pair.client.write(next.data);
        if (this.#mode !== 'pass') continue;
        pair.firstAnsweredAt ??= now;
        if (this.#reachedAt === undefined && pair.acceptedAt >= this.#healedAt) {
          this.#reachedAt = now;
          this.#onReached?.(now);
        }
      }
    }
  }

  #destroy(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return;
    if (pair.timer) clearTimeout(pair.timer);
    pair.held.length = 0;
    if (reset) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }
}

/** The local port standing for `host:port` among a proxy's listeners (`host:port` → local port). */
export function proxiedPort(ports: ReadonlyMap<string, number>, target: Upstream): number {
  const port = ports.get(`${target.host}:${target.port}`);
  if (port === undefined) throw new Error(`proxy: no listener for ${target.host}:${target.port}`);
  return port;
}

/** ioredis `natMap` for a proxy's listeners: every real address to its proxied one. */
export function natMapOf(ports: ReadonlyMap<string, number>): Record<string, { host: string; port: number }> {
  const map: Record<string, { host: string; port: number }> = {};
  for (const [real, port] of ports) map[real] = { host: '127.0.0.1', port };
  return map;
}
