/**
 * The pusher stand-in in its own process, so its work (a storm of dials) and
 * the orchestrator's timing do not share an event loop. Driven over IPC.
 */
import { type PusherCapacity, type PusherFault, PusherStandIn } from '@breakwater/pusher-stand-in';

export type PusherCommand =
  | { readonly id: number; readonly type: 'fault'; readonly fault: PusherFault }
  /** A capacity (wall-clock rates and ms) or null for none; a bad one is answered `{ id, error }`. */
  | { readonly id: number; readonly type: 'capacity'; readonly capacity: PusherCapacity | null }
  | { readonly id: number; readonly type: 'stats' }
  | { readonly id: number; readonly type: 'close' };

// argv: the time scale and the wall ms the scenario clock starts from (the orchestrator's).
const timeScale = Number(process.argv[2] ?? 1);
const origin = Number(process.argv[3] ?? Date.now());
if (!(timeScale > 0) || !Number.isFinite(origin)) throw new Error(`pusher-main: bad argv ${process.argv.slice(2)}`);

// A deep accept queue, like the load balancer in front of the real pusher. The capacity runs on
// the scenario clock (like the sessions): its rates are per scenario second, its warm-up and the
// Retry-After it sends are scenario time.
const standIn = await PusherStandIn.start({
  backlog: 4_096,
  clock: () => origin + (Date.now() - origin) * timeScale,
});
process.send?.({ type: 'ready', url: standIn.url });

process.on('message', (c: PusherCommand) => {
  switch (c.type) {
    case 'fault': {
      const was = standIn.fault;
      standIn.setFault(c.fault);
      // Live connections die as pusher's did: closed (1011) or reset, not left standing.
      if (c.fault.kind === 'close') standIn.closeAll(c.fault.code ?? 1011);
      if (c.fault.kind === 'refuse') standIn.dropAll();
      // A stuck pusher comes back by being restarted: the connections it held go with it.
      if (was.kind === 'hang' && was.stallHandshakes && c.fault.kind !== 'hang') standIn.dropAll();
      process.send?.({ id: c.id, result: true });
      break;
    }
    case 'capacity':
      try {
        standIn.setCapacity(c.capacity);
        process.send?.({ id: c.id, result: true });
      } catch (err) {
        process.send?.({ id: c.id, error: (err as Error).message });
      }
      break;
    case 'stats':
      process.send?.({ id: c.id, result: { ...standIn.stats(), processed: standIn.processedConversations().size } });
      break;
    case 'close':
      void standIn.close().then(() => {
        process.send?.({ id: c.id, result: true });
        setTimeout(() => process.exit(0), 20);
      });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
