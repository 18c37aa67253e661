// A pod in its own process: holds ClusterBreakers and obeys commands from the
// parent test over IPC. Started by pod-process.ts with tsx.
import { type ClusterBreaker, createClusterBreaker, type ProbeLease } from '@breakwater/breaker-core';

type Command =
  | { id: number; cmd: 'create'; count: number; podPrefix: string; options: Record<string, unknown> }
  | { id: number; cmd: 'states' }
  | { id: number; cmd: 'recordFailures'; index: number; count: number }
  | { id: number; cmd: 'acquireProbe'; index: number }
  | { id: number; cmd: 'reportProbe'; index: number; lease: ProbeLease; outcome: 'success' | 'failure' }
  | { id: number; cmd: 'close' };

const breakers: ClusterBreaker[] = [];

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'create':
      for (let i = 0; i < c.count; i++) {
        breakers.push(await createClusterBreaker({ ...(c.options as { name: string }), podId: `${c.podPrefix}-${i}` }));
      }
      return breakers.length;
    case 'states':
      return breakers.map((b) => b.state);
    case 'recordFailures':
      for (let i = 0; i < c.count; i++) breakers[c.index]?.recordFailure();
      return true;
    case 'acquireProbe':
      return (await breakers[c.index]?.acquireProbe()) ?? null;
    case 'reportProbe':
      return breakers[c.index]?.reportProbe(c.lease, c.outcome);
    case 'close':
      await Promise.all(breakers.map((b) => b.close()));
      return true;
  }
}

process.on('message', (c: Command) => {
  handle(c).then(
    (result) => process.send?.({ id: c.id, result }),
    (err: unknown) => process.send?.({ id: c.id, error: String(err) }),
  );
});
process.send?.({ ready: true });
