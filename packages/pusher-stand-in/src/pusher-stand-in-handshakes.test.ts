import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { HANDSHAKE_LATENCY_BOUNDS_MS } from './handshake-ledger.js';
import { PusherStandIn } from './pusher-stand-in.js';
import { Clients, opened, until } from './test-support/ws-client.js';

// Handshakes the stand-in is slow to answer, with real `ws` clients on loopback. The
// latencies are on a hand-moved clock; the waits are for events.

let standIn: PusherStandIn | undefined;
const clients = new Clients();

afterEach(async () => {
  clients.terminateAll();
  await standIn?.close();
  standIn = undefined;
});

/** Blocks this process's event loop for `ms`: a stand-in starved of CPU, as on a loaded machine. */
function starve(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: no timer, no socket is serviced meanwhile
  }
}

describe('PusherStandIn, slow to answer handshakes', () => {
  it('does not count a handshake whose client gave up before the stand-in got to it as a connection', async () => {
    const s = await PusherStandIn.start();
    standIn = s;
    s.setFault({ kind: 'slow_accept', delayMs: 1_500 });
    const ws = new WebSocket(s.listenUrl('late'), { perMessageDeflate: false, handshakeTimeout: 1_000 });
    const gaveUp = new Promise<Error>((resolve) => ws.once('error', resolve));
    await until(() => s.stats().faultHits.slow_accept === 1); // the upgrade is held
    // Starved past both deadlines: the client's timeout and the stand-in's accept are both overdue,
    // and run in one turn, the client's first (it closes its socket), before any socket is read.
    starve(1_600);
    expect((await gaveUp).message).toMatch(/handshake has timed out/);
    await until(() => s.stats().abandonedHandshakes === 1);
    expect(s.stats()).toMatchObject({ connections: 0, abandonedHandshakes: 1, open: 0, closeCodes: {} });
    expect(s.stats().handshakeLatency.count).toBe(1);
    // A client that waits is still answered and counted as usual.
    s.setFault({ kind: 'none' });
    await opened(clients.dial(s.listenUrl('patient')));
    expect(s.stats()).toMatchObject({ connections: 1, abandonedHandshakes: 1, open: 1 });
  });

  it('reports how long handshakes waited for their accept: a histogram, p50 / p99 / max, and per second', async () => {
    let now = 1_700_000_000_000;
    const s = await PusherStandIn.start({ clock: () => now });
    standIn = s;
    expect(s.stats().handshakeLatency).toEqual({
      count: 0,
      p50Ms: null,
      p99Ms: null,
      maxMs: null,
      buckets: new Array(HANDSHAKE_LATENCY_BOUNDS_MS.length + 1).fill(0),
      perSecond: [],
    });
    await opened(clients.dial(s.listenUrl('quick'))); // answered with no clock time passing
    // A slow accept: the clock moves 2,345 ms while the upgrade is held.
    s.setFault({ kind: 'slow_accept', delayMs: 2_000 });
    const slow = clients.dial(s.listenUrl('slow'));
    await until(() => s.stats().faultHits.slow_accept === 1);
    now += 2_345;
    await opened(slow);
    const latency = s.stats().handshakeLatency;
    // Percentiles are bucket bounds (the median's bucket is ≤ 1 ms), capped by the exact maximum.
    expect(latency).toMatchObject({ count: 2, p50Ms: 1, p99Ms: 2_345, maxMs: 2_345 });
    expect(latency.buckets[0]).toBe(1); // ≤ 1 ms
    expect(latency.buckets[HANDSHAKE_LATENCY_BOUNDS_MS.indexOf(3_000)]).toBe(1); // (2,000, 3,000]
    expect(latency.perSecond).toEqual([
      { at: 1_700_000_000_000, count: 1, p50Ms: 0, p99Ms: 0, maxMs: 0 },
      { at: 1_700_000_002_000, count: 1, p50Ms: 2_345, p99Ms: 2_345, maxMs: 2_345 },
    ]);
    s.resetStats();
    expect(s.stats().handshakeLatency).toMatchObject({ count: 0, perSecond: [] });
  });
});
