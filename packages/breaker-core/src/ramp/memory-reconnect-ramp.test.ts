import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from '../errors/invalid-argument-error.js';
import { MemoryReconnectRamp } from './memory-reconnect-ramp.js';
import { DEFAULT_RECONNECT_RAMP_OPTIONS, type RampAdmission, type RampDecision } from './reconnect-ramp.js';

const admission = (d: RampDecision): RampAdmission => {
  if (!d.admitted) throw new Error('expected an admission');
  return d;
};

describe('MemoryReconnectRamp', () => {
  it('as a plain bucket admits the burst, then the rate, on its injected clock', async () => {
    let now = 0;
    const ramp = new MemoryReconnectRamp({
      ratePerSec: 2,
      burst: 2,
      maxWaitMs: 0,
      minRetryAfterMs: 0,
      clock: () => now,
    });
    const admitted = async () => (await ramp.take()).admitted;
    expect([await admitted(), await admitted(), await admitted()]).toEqual([true, true, false]);
    expect(await ramp.take()).toEqual({ admitted: false, retryAfterMs: 500 });
    now = 500;
    expect([await admitted(), await admitted()]).toEqual([true, false]);
    // Over 10 s at 2/s, at most 20 more admissions, whatever the number of callers.
    let count = 0;
    for (let t = 500; t <= 10_500; t += 10) {
      now = t;
      for (let caller = 0; caller < 5; caller++) if (await admitted()) count++;
    }
    expect(count).toBe(20);
  });

  it('books later callers a slot each, so nobody asks twice and the rate holds', async () => {
    const ramp = new MemoryReconnectRamp({
      ratePerSec: 2,
      burst: 2,
      maxWaitMs: 10_000,
      minRetryAfterMs: 0,
      clock: () => 0,
    });
    const slots: number[] = [];
    for (let caller = 0; caller < 25; caller++) {
      const d = await ramp.take();
      if (d.admitted) slots.push(d.delayMs);
    }
    // 2 at once, then one every 500 ms for 10 s: 21 booked, the rest told to come back later.
    expect(slots).toEqual([0, 0, ...Array.from({ length: 20 }, (_, i) => (i + 1) * 500)]);
    expect(await ramp.take()).toEqual({ admitted: false, retryAfterMs: 500 });
  });

  it('follows what its callers report: grows on clean intervals, halves and pauses on an overload', async () => {
    let now = 0;
    const registry = new Registry();
    const ramp = new MemoryReconnectRamp({ ratePerSec: 10, burst: 5, name: 'pusher', registry, clock: () => now });
    for (let second = 1; second <= 3; second++) {
      const decisions = await Promise.all(Array.from({ length: 30 }, () => ramp.take()));
      for (const d of decisions) if (d.admitted) ramp.report(d, { outcome: 'success' });
      now = second * 1_000;
      ramp.report(admission(await ramp.take()), { outcome: 'success' });
    }
    expect(ramp.status.ratePerSec).toBe(80);
    const late = admission(await ramp.take());
    ramp.report(late, { outcome: 'overload', retryAfterMs: 2_000 });
    // A new epoch even within the millisecond of the latest increase.
    expect(ramp.status).toEqual({
      ratePerSec: 40,
      thresholdPerSec: 40,
      epoch: 3_001,
      pausedUntil: 5_000,
      cutEpoch: 3_001,
    });
    const paused = await ramp.take();
    expect(paused.admitted).toBe(false);
    expect((paused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(1_000);
    // Reports on dials admitted before the cut are stale: no second cut.
    ramp.report(late, { outcome: 'overload' });
    ramp.report(late, { outcome: 'failure' });
    expect(ramp.status.ratePerSec).toBe(40);
    const metrics = await registry.metrics();
    expect(metrics).toContain('breakwater_ramp_rate{ramp="pusher"} 40');
    expect(metrics).toContain('breakwater_ramp_adjustments_total{ramp="pusher",direction="increase"} 3');
    expect(metrics).toContain('breakwater_ramp_adjustments_total{ramp="pusher",direction="decrease"} 1');
    expect(metrics).toContain('breakwater_ramp_pauses_total{ramp="pusher"} 1');
    expect(metrics).toContain('breakwater_ramp_feedback_total{ramp="pusher",kind="overload"} 2');
    expect(metrics).toContain('breakwater_ramp_refusals_total{ramp="pusher",reason="paused"} 1');
  });

  it('hears timeouts of dials admitted before the rate grew, and cuts once for them', async () => {
    let now = 0;
    const ramp = new MemoryReconnectRamp({ ratePerSec: 10, burst: 5, clock: () => now });
    const early = await Promise.all(Array.from({ length: 5 }, async () => admission(await ramp.take())));
    for (let second = 1; second <= 2; second++) {
      const decisions = await Promise.all(Array.from({ length: 30 }, () => ramp.take()));
      for (const d of decisions) if (d.admitted) ramp.report(d, { outcome: 'success' });
      now = second * 1_000;
      ramp.report(admission(await ramp.take()), { outcome: 'success' });
    }
    expect(ramp.status.ratePerSec).toBe(40); // two increases since `early` was admitted
    // The early dials time out now (a connect timeout of ~2 s): fresh evidence of congestion.
    for (const a of early) ramp.report(a, { outcome: 'failure' });
    now = 3_000;
    ramp.report(admission(await ramp.take()), { outcome: 'success' });
    expect(ramp.status).toMatchObject({ ratePerSec: 20, cutEpoch: 3_000 });
    // Reported again (more of the same wave): admitted before the cut, stale.
    for (const a of early) ramp.report(a, { outcome: 'failure' });
    now = 4_000;
    ramp.report(admission(await ramp.take()), { outcome: 'success' });
    expect(ramp.status.ratePerSec).toBe(20);
  });

  it('ignores a report on an admission it did not make (no epoch)', async () => {
    const ramp = new MemoryReconnectRamp({ ratePerSec: 10, clock: () => 0 });
    await ramp.take();
    ramp.report({ admitted: true, tokens: 0, delayMs: 0 }, { outcome: 'overload', retryAfterMs: 5_000 });
    expect(ramp.status).toMatchObject({ ratePerSec: 10, pausedUntil: 0 });
  });

  it('uses the documented defaults', () => {
    expect(new MemoryReconnectRamp().rules).toEqual(DEFAULT_RECONNECT_RAMP_OPTIONS);
    expect(new MemoryReconnectRamp().status).toEqual({
      ratePerSec: 50,
      thresholdPerSec: 500,
      epoch: 0,
      pausedUntil: 0,
      cutEpoch: 0,
    });
  });

  it('rejects bad options, costs and reports, naming them', async () => {
    const names: string[] = [];
    const ramp = new MemoryReconnectRamp({ burst: 2, clock: () => 0 });
    const ok = admission(await ramp.take());
    for (const make of [
      () => new MemoryReconnectRamp({ burst: -1 }),
      () => new MemoryReconnectRamp({ clock: 5 as never }),
      () => new MemoryReconnectRamp({ rate: 5 } as never),
      () => new MemoryReconnectRamp({ name: '{x}' }),
      () => new MemoryReconnectRamp({ registry: {} as never }),
      () => new MemoryReconnectRamp({ ratePerSec: 10, maxRatePerSec: 5 }),
      () => ramp.report(ok, { outcome: 'late' as never }),
      () => ramp.report(ok, { outcome: 'overload', retryAfterMs: -1 }),
      () => ramp.report({ admitted: false, retryAfterMs: 1 } as never, { outcome: 'success' }),
    ]) {
      try {
        make();
      } catch (err) {
        if (isInvalidArgumentError(err)) names.push(err.argument);
      }
    }
    expect(names).toEqual([
      'options.burst',
      'options.clock',
      'options.rate',
      'options.name',
      'options.registry',
      'options.maxRatePerSec',
      'feedback.outcome',
      'feedback.retryAfterMs',
      'admission',
    ]);
    await expect(ramp.take(3)).rejects.toMatchObject({ argument: 'cost' });
  });
});
