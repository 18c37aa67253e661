import { afterEach, describe, expect, it } from 'vitest';
import type { PusherCapacity } from './capacity.js';
import { PusherStandIn } from './pusher-stand-in.js';
import { type Client, Clients, failed, opened, until } from './test-support/ws-client.js';

// Real ws clients against the real stand-in on a free port; the capacity's clock is a hand-moved
// number, so which handshake is refused never depends on how fast this machine is.

const T0 = 1_800_000_000_000;
const clients = new Clients();
const started: PusherStandIn[] = [];
let now = T0;

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(started.splice(0).map((s) => s.close()));
  now = T0;
});

async function standInWith(capacity: PusherCapacity | null): Promise<PusherStandIn> {
  const standIn = await PusherStandIn.start({ capacity, clock: () => now });
  started.push(standIn);
  return standIn;
}

type Outcome = { kind: 'open' } | { kind: 'http'; status: number; retryAfter: string | undefined };

/** Dials and waits for the handshake's outcome: open, or the HTTP response to the upgrade. */
async function handshake(standIn: PusherStandIn, uid = 'u'): Promise<{ client: Client; outcome: Outcome }> {
  const client = clients.dial(standIn.listenUrl(uid));
  const outcome = await new Promise<Outcome>((resolve, reject) => {
    client.ws.once('open', () => resolve({ kind: 'open' }));
    client.ws.once('unexpected-response', (_req, res) => {
      const retryAfter = res.headers['retry-after'];
      resolve({
        kind: 'http',
        status: res.statusCode ?? 0,
        retryAfter: Array.isArray(retryAfter) ? undefined : retryAfter,
      });
      res.resume();
    });
    client.ws.once('error', reject);
  });
  return { client, outcome };
}

const OPEN: Outcome = { kind: 'open' };
const noRejections = { 'http-503': 0, 'close-1011': 0, stall: 0 };

describe('PusherStandIn with a capacity', () => {
  it('http-503: the handshakes past the burst get 503 with Retry-After and no upgrade', async () => {
    const standIn = await standInWith({ initialRate: 1, burst: 2, retryAfterSeconds: 7 });
    expect((await handshake(standIn, 'a')).outcome).toEqual(OPEN);
    expect((await handshake(standIn, 'b')).outcome).toEqual(OPEN);
    expect((await handshake(standIn, 'c')).outcome).toEqual({ kind: 'http', status: 503, retryAfter: '7' });
    const stats = standIn.stats();
    expect(stats).toMatchObject({ dials: 3, connections: 2, open: 2, refused: 0, faultHits: {} });
    expect(stats.capacity).toMatchObject({
      accepted: 2,
      rejected: { ...noRejections, 'http-503': 1 },
      rejectedBy: { rate: 1, sessions: 0 },
      firstRejectedAt: T0,
      lastRejectedAt: T0,
      coldStarts: 1,
      rate: 1,
      tokens: 0,
    });
    expect(stats.capacity.perSecond).toEqual([
      { at: T0, rate: 1, accepted: 2, rejected: { ...noRejections, 'http-503': 1 }, shed: 0 },
    ]);
  });

  it('close-1011: the excess is upgraded, then closed 1011 "overloaded", and is never a session', async () => {
    const standIn = await standInWith({ burst: 1, overload: 'close-1011' });
    expect((await handshake(standIn, 'a')).outcome).toEqual(OPEN);
    const client = clients.dial(standIn.listenUrl('b'));
    const reason = new Promise<string>((resolve) => client.ws.once('close', (_code, r) => resolve(r.toString())));
    await opened(client);
    expect(await client.closed).toBe(1011);
    expect(await reason).toBe('overloaded');
    const stats = standIn.stats();
    expect(stats).toMatchObject({ dials: 2, connections: 1, open: 1, closeCodes: {} });
    expect(stats.capacity).toMatchObject({ accepted: 1, rejected: { ...noRejections, 'close-1011': 1 } });
  });

  it('stall: the excess is held unanswered until the client gives up or the capacity changes', async () => {
    const standIn = await standInWith({ burst: 1, overload: 'stall' });
    expect((await handshake(standIn, 'a')).outcome).toEqual(OPEN);
    const gaveUp = clients.dial(standIn.listenUrl('b'));
    await until(() => standIn.stats().capacity.stalledNow === 1);
    gaveUp.ws.terminate(); // the client's connect timeout
    await until(() => standIn.stats().capacity.stalledNow === 0);

    const held = clients.dial(standIn.listenUrl('c'));
    let open = false;
    held.ws.once('open', () => {
      open = true;
    });
    const error = failed(held);
    await until(() => standIn.stats().capacity.stalledNow === 1);
    standIn.setCapacity(null);
    expect(String(await error)).toMatch(/ECONNRESET|socket hang up/);
    expect(open).toBe(false);
    expect((await handshake(standIn, 'd')).outcome).toEqual(OPEN); // unlimited now
    expect(standIn.stats()).toMatchObject({ dials: 4, connections: 2, stalledHandshakes: 0, faultHits: {} });
    expect(standIn.stats().capacity).toMatchObject({
      config: null,
      rate: null,
      stalledNow: 0,
      accepted: 1,
      rejected: { ...noRejections, stall: 2 },
    });
  });

  it('warms up: a gap that admits nothing cold admits a handshake warm, and clearing a fault starts cold again', async () => {
    const standIn = await standInWith({ initialRate: 1, maxRate: 4, warmUpMs: 10_000, burst: 1 });
    const refused = { kind: 'http', status: 503, retryAfter: '5' };
    expect((await handshake(standIn)).outcome).toEqual(OPEN);
    expect((await handshake(standIn)).outcome).toEqual(refused);
    now = T0 + 500; // 0.54 of a token at 1 → 1.15 a second
    expect((await handshake(standIn)).outcome).toEqual(refused);
    now = T0 + 20_000;
    expect(standIn.stats().capacity.rate).toBe(4);
    expect((await handshake(standIn)).outcome).toEqual(OPEN);
    expect((await handshake(standIn)).outcome).toEqual(refused);
    now = T0 + 20_500; // 2 tokens at 4 a second (the bucket holds 1)
    expect((await handshake(standIn)).outcome).toEqual(OPEN);

    standIn.setFault({ kind: 'refuse' });
    expect(String(await failed(clients.dial(standIn.listenUrl('down'))))).toMatch(/ECONNRESET|socket hang up/);
    standIn.setFault({ kind: 'none' }); // pusher is back: cold, with a full bucket
    expect(standIn.stats().capacity).toMatchObject({ rate: 1, tokens: 1, warmingSince: T0 + 20_500, coldStarts: 2 });
    expect((await handshake(standIn)).outcome).toEqual(OPEN);
    now = T0 + 21_000;
    expect((await handshake(standIn)).outcome).toEqual(refused);

    const { capacity, refused: refusedDials } = standIn.stats();
    expect(refusedDials).toBe(1); // the refuse fault's dial never reached the capacity
    expect(
      capacity.perSecond.map(({ at, rate, accepted, rejected }) => [at - T0, rate, accepted, rejected['http-503']]),
    ).toEqual([
      [0, 1.15, 1, 2], // rate at the second's last decision (500 ms in)
      [20_000, 1, 3, 1], // two admitted warm, then the cold start's first (its rate is 1 again)
      [21_000, 1.15, 0, 1],
    ]);
  });

  it('maxSessions: refuses new sessions past it as overload; lowering it sheds the newest', async () => {
    const standIn = await standInWith({ initialRate: 1_000, burst: 100, maxSessions: 2 });
    const a = await handshake(standIn, 'a');
    const b = await handshake(standIn, 'b');
    expect([a.outcome, b.outcome]).toEqual([OPEN, OPEN]);
    expect((await handshake(standIn, 'c')).outcome).toEqual({ kind: 'http', status: 503, retryAfter: '5' });
    a.client.ws.close(1000);
    await until(() => standIn.stats().open === 1);
    const d = await handshake(standIn, 'd');
    expect(d.outcome).toEqual(OPEN);

    standIn.setCapacity({ initialRate: 1_000, burst: 100, maxSessions: 1 });
    expect(await d.client.closed).toBe(1011); // the newest goes
    await until(() => standIn.stats().open === 1);
    expect(standIn.stats().connections).toBe(3);
    expect(b.client.ws.readyState).toBe(b.client.ws.OPEN);
    expect(standIn.stats().capacity).toMatchObject({
      config: { maxSessions: 1 },
      accepted: 3,
      rejectedBy: { rate: 0, sessions: 1 },
      shed: 1,
      coldStarts: 2,
    });
  });

  it('is unlimited by default, and a bad capacity throws naming the field and changes nothing', async () => {
    const standIn = await standInWith(null);
    for (const uid of ['a', 'b', 'c']) expect((await handshake(standIn, uid)).outcome).toEqual(OPEN);
    expect(standIn.capacity).toBeNull();
    standIn.setCapacity({ burst: 3 });
    expect(() => standIn.setCapacity({ overload: 'drop' as never })).toThrow(/capacity\.overload/);
    expect(standIn.capacity).toMatchObject({ burst: 3, overload: 'http-503' });
    expect(standIn.stats().capacity).toMatchObject({ accepted: 0, coldStarts: 1 });
    await expect(PusherStandIn.start({ capacity: { maxRate: 0 } })).rejects.toThrow(/capacity\.maxRate/);
  });
});
