import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkRegistered } from '../fork-registered.js';
import type { HostCommand, HostMessage, LoopDelay, ProxyRequest } from './messages.js';
import { natMapOf, type ProxyAddresses, type ProxyMode, proxiedPort, type Upstream } from './pod-proxy.js';

const MAIN = fileURLToPath(new URL('./proxy-host-main.ts', import.meta.url));
/** No request to a host takes this long unless the host is gone or hung: the campaign fails instead of waiting. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The orchestrator's handle on a proxy host (proxy-host-main.ts under tsx): a child
 * process running some pods' TCP proxies, so the pods' Redis traffic never waits on
 * the orchestrator's loop (the schedule, the observer, the checks, the admin API) and
 * the orchestrator never spends its loop on their bytes. Registered with the harness's
 * process registry like the pods.
 */
export class ProxyHost {
  readonly #child: ChildProcess;
  readonly #unregister: () => void;
  readonly #pending = new Map<number, { resolve(m: HostMessage & { t: 'done' }): void; reject(e: Error): void }>();
  readonly #proxies = new Map<number, RemoteProxy>();
  #req = 0;
  #ending = false;
  readonly ready: Promise<void>;

  private constructor(
    readonly label: string,
    onStall: (from: number, to: number) => void,
    onCrash: (why: string) => void,
  ) {
    const { child, unregister } = forkRegistered(MAIN, [], `chaos-${label}`, () => this.close());
    this.#child = child;
    this.#unregister = unregister;
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code, signal) => {
        this.#unregister();
        const why = `${label} exited (${code ?? signal})`;
        for (const p of this.#pending.values()) p.reject(new Error(why));
        this.#pending.clear();
        if (!this.#ending) onCrash(why);
        reject(new Error(why));
      });
      child.on('message', (m: HostMessage) => {
        switch (m.t) {
          case 'ready':
            resolve();
            break;
          case 'done': {
            const p = this.#pending.get(m.req);
            this.#pending.delete(m.req);
            if (m.error === undefined) p?.resolve(m);
            else p?.reject(new Error(`${label}: ${m.error}`));
            break;
          }
          case 'reached':
            this.#proxies.get(m.id)?.onReached(m.healSeq, m.at);
            break;
          case 'stalled':
            onStall(m.from, m.to);
            break;
        }
      });
    });
    this.ready.catch(() => {});
  }

  /** Starts a host; `onStall` hears its loop's stalls (its pods' traffic was held), `onCrash` an exit not asked for. */
  static async start(
    label: string,
    onStall: (from: number, to: number) => void,
    onCrash: (why: string) => void,
  ): Promise<ProxyHost> {
    const host = new ProxyHost(label, onStall, onCrash);
    await host.ready;
    return host;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** A proxy for one pod in this host, listening for each upstream. */
  async proxy(id: number, upstreams: readonly Upstream[]): Promise<RemoteProxy> {
    const done = await this.request({ op: 'listen', id, upstreams });
    const proxy = new RemoteProxy(this, id, new Map(done.ports ?? []));
    this.#proxies.set(id, proxy);
    return proxy;
  }

  /**
   * Sets the mode of these proxies; resolves with when the host had applied it to all of
   * them (its clock: a fault's window starts before this, its heal is this).
   */
  async setMode(proxies: readonly RemoteProxy[], mode: ProxyMode, latencyMs = 0): Promise<number> {
    const mine = proxies.filter((p) => p.host === this);
    if (mine.length === 0) return Date.now();
    const healSeq = mode === 'pass' ? RemoteProxy.nextHeal(mine) : 0;
    const done = await this.request({ op: 'mode', ids: mine.map((p) => p.id), mode, latencyMs, healSeq });
    return done.at;
  }

  /** Marks a heal at `at` on every proxy of this host (Redis itself came back). */
  markHeal(at: number): void {
    const all = [...this.#proxies.values()];
    if (all.length === 0) return;
    const healSeq = RemoteProxy.nextHeal(all);
    this.request({ op: 'heal', ids: all.map((p) => p.id), at, healSeq }).catch(() => {});
  }

  async loopDelay(): Promise<LoopDelay | undefined> {
    return (await this.request({ op: 'loop' })).loop;
  }

  /** Closes every proxy and ends the process (SIGKILL after 5 s). */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#ending = true;
    const exited = new Promise((r) => this.#child.once('exit', r));
    await this.request({ op: 'close' }).catch(() => {});
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.#unregister();
  }

  request(r: ProxyRequest): Promise<HostMessage & { t: 'done' }> {
    const req = ++this.#req;
    return new Promise((resolve, reject) => {
      if (!this.#child.connected) {
        reject(new Error(`${this.label} is gone`));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(req);
        reject(new Error(`${this.label}: no answer to ${r.op} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(req, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.send({ ...r, req } satisfies HostCommand, (err) => {
        if (err) this.#pending.get(req)?.reject(err);
      });
    });
  }
}

/**
 * One pod's proxy as the orchestrator sees it: its ports (fixed once listening), and
 * when its path first answered after the last heal, as the host reported it.
 */
export class RemoteProxy implements ProxyAddresses {
  #healSeq = 0;
  #reachedAt: number | undefined = 0;

  constructor(
    readonly host: ProxyHost,
    readonly id: number,
    /** Real `host:port` → the local port the pod dials instead. */
    readonly ports: ReadonlyMap<string, number>,
  ) {}

  /** Numbers a new heal on these proxies: what the host reports before it is stale. */
  static nextHeal(proxies: readonly RemoteProxy[]): number {
    const seq = Math.max(...proxies.map((p) => p.#healSeq)) + 1;
    for (const p of proxies) {
      p.#healSeq = seq;
      p.#reachedAt = undefined;
    }
    return seq;
  }

  onReached(healSeq: number, at: number): void {
    if (healSeq === this.#healSeq && this.#reachedAt === undefined) this.#reachedAt = at;
  }

  /** When the pod's path first answered after the last heal (undefined: not yet, as far as the host has said). */
  reachedAt(): number | undefined {
    return this.#reachedAt;
  }

  portFor(target: Upstream): number {
    return proxiedPort(this.ports, target);
  }

  natMap(): Record<string, { host: string; port: number }> {
    return natMapOf(this.ports);
  }
}
