// A pod in its own process: holds ClusterBreakers and obeys commands from the
// parent test over IPC; reports each pod's view and what it went through, and can
// hold its own event loop (a synchronous busy loop) right after asking for the
// probe lease. Started by pod-process.ts with tsx.
import { type ClusterBreaker, createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';

export type PodCommand =
  | { id: number; cmd: 'create'; count: number; podPrefix: string; options: Record<string, unknown> }
  | { id: number; cmd: 'states' }
  | { id: number; cmd: 'views' }
  | { id: number; cmd: 'recordFailures'; index: number; count: number }
  | { id: number; cmd: 'acquireProbe'; index: number; stallMs: number }
  | { id: number; cmd: 'reportProbe'; index: number; lease: ProbeLease; outcome: 'success' | 'failure' }
  | { id: number; cmd: 'close' };

/** One pod's view and what it went through, as the parent test sees it. */
export interface PodReport {
  readonly podId: string;
  readonly state: string;
  readonly generation: number;
  readonly incarnation: string | undefined;
  readonly source: 'shared' | 'local';
  /** ms since the shared store last confirmed the pod's view. */
  readonly viewAgeMs: number;
  /** Each fall back to the local breaker: the error's name and message. */
  readonly degraded: readonly string[];
  readonly recovered: number;
  /** Probe leases granted to this pod: generation and the store that granted it. */
  readonly granted: readonly { generation: number; source: string }[];
}

interface History {
  degraded: string[];
  recovered: number;
  granted: { generation: number; source: string }[];
}

const breakers: ClusterBreaker[] = [];
const history = new Map<ClusterBreaker, History>();

function track(b: ClusterBreaker): void {
  const h: History = { degraded: [], recovered: 0, granted: [] };
  history.set(b, h);
  b.onStoreDegraded(({ error }) => h.degraded.push(`${error.name}: ${error.message}`));
  b.onStoreRecovered(() => h.recovered++);
  b.onProbeGranted(({ lease, source }) => h.granted.push({ generation: lease.generation, source }));
}

function report(b: ClusterBreaker): PodReport {
  const h = history.get(b);
  return {
    podId: b.podId,
    state: b.state,
    generation: b.generation,
    incarnation: b.snapshot.incarnation,
    source: b.source,
    viewAgeMs: b.viewAge,
    degraded: h?.degraded ?? [],
    recovered: h?.recovered ?? 0,
    granted: h?.granted ?? [],
  };
}

/** The pod's own event loop held by synchronous work: no timer and no I/O callback runs meanwhile. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: like a pod whose sessions keep the loop this long
  }
}

async function handle(c: PodCommand): Promise<unknown> {
  switch (c.cmd) {
    case 'create':
      for (let i = 0; i < c.count; i++) {
        const b = await createClusterBreaker({ ...(c.options as { name: string }), podId: `${c.podPrefix}-${i}` });
        track(b);
        breakers.push(b);
      }
      return breakers.length;
    case 'states':
      return breakers.map((b) => b.state);
    case 'views':
      return breakers.map(report);
    case 'recordFailures':
      for (let i = 0; i < c.count; i++) breakers[c.index]?.recordFailure();
      return true;
    case 'acquireProbe': {
      const asked = breakers[c.index]?.acquireProbe() ?? Promise.resolve(null);
      if (c.stallMs > 0) stall(c.stallMs); // the request is on the wire; Redis answers while this loop is busy
      return await asked;
    }
    case 'reportProbe':
      // The lease as the parent sent it back: a copy (IPC), as an application may hand one back.
      return breakers[c.index]?.reportProbe(c.lease, c.outcome);
    case 'close':
      await Promise.all(breakers.map((b) => b.close()));
      return true;
  }
}

process.on('message', (c: PodCommand) => {
  handle(c).then(
    (result) => process.send?.({ id: c.id, result }),
    (err: unknown) => process.send?.({ id: c.id, error: String(err) }),
  );
});
process.send?.({ ready: true });
