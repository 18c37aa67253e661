// A proxy host: some pods' TCP proxies in a process of their own (see proxy-host.ts).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HostCommand, HostMessage } from './messages.js';
import { PodProxy } from './pod-proxy.js';

/** Same thresholds as the orchestrator's own stall monitor (run-topology.ts). */
const STALL_TICK_MS = 20;
const STALL_LATE_MS = 100;

const proxies = new Map<number, PodProxy>();
/** The heal each proxy's next `reached` answers (numbered by the orchestrator). */
const healSeqs = new Map<number, number>();

const send = (m: HostMessage) => {
  if (process.connected) process.send?.(m);
};

function proxy(id: number): PodProxy {
  const p = proxies.get(id);
  if (!p) throw new Error(`proxy host: no proxy ${id}`);
  return p;
}

// Its own loop: a stall here holds every byte of its pods' Redis traffic.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let last = Date.now();
setInterval(() => {
  const now = Date.now();
  if (now - last - STALL_TICK_MS > STALL_LATE_MS) send({ t: 'stalled', from: last + STALL_TICK_MS, to: now });
  last = now;
}, STALL_TICK_MS);

async function handle(c: HostCommand): Promise<Omit<Extract<HostMessage, { t: 'done' }>, 't' | 'req' | 'at'>> {
  switch (c.op) {
    case 'listen': {
      const p = new PodProxy((at) => send({ t: 'reached', id: c.id, healSeq: healSeqs.get(c.id) ?? 0, at }));
      proxies.set(c.id, p);
      await p.listen(c.upstreams);
      return { ports: [...p.ports] };
    }
    case 'mode':
      for (const id of c.ids) {
        const p = proxy(id);
        if (c.mode === 'pass') {
          // The orchestrator numbered this heal; a path already passing has nothing to heal.
          healSeqs.set(id, c.healSeq);
          const reached = p.mode === 'pass' ? p.reachedAt() : undefined;
          if (reached !== undefined) send({ t: 'reached', id, healSeq: c.healSeq, at: reached });
        }
        p.setMode(c.mode, c.latencyMs);
      }
      return {};
    case 'heal':
      for (const id of c.ids) {
        healSeqs.set(id, c.healSeq);
        proxy(id).markHeal(c.at);
      }
      return {};
    case 'loop': {
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      const cpu = process.cpuUsage();
      return {
        loop: {
          p50Ms: ms(delay.percentile(50)),
          p99Ms: ms(delay.percentile(99)),
          maxMs: ms(delay.max),
          cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100,
        },
      };
    }
    case 'close':
      await Promise.all([...proxies.values()].map((p) => p.close()));
      proxies.clear();
      return {};
  }
}

process.on('message', (c: HostCommand) => {
  handle(c).then(
    (r) => send({ t: 'done', req: c.req, at: Date.now(), ...r }),
    (err: unknown) => send({ t: 'done', req: c.req, at: Date.now(), error: String(err) }),
  );
});
// The orchestrator gone: nothing to proxy for.
process.on('disconnect', () => process.exit(0));
send({ t: 'ready' });
