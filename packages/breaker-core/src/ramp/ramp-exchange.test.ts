import { describe, expect, it } from 'vitest';
import { MICRO_TOKENS, NO_FEEDBACK, type RampFeedbackCounts, type RampState, rampExchange } from './ramp-exchange.js';
import { type ReconnectRampRules, resolveRampRules } from './ramp-rules.js';
import type { RampDecision, ReconnectRampOptions } from './reconnect-ramp.js';

/** One ramp under the rules, driven by hand: time only moves when a test says so. */
function ramp(options: ReconnectRampOptions) {
  const rules: ReconnectRampRules = resolveRampRules(options);
  let state: RampState | undefined;
  let now = 0;
  const exchange = (feedback: Partial<RampFeedbackCounts>, costs: number[]) => {
    const r = rampExchange(state, now, rules, { ...NO_FEEDBACK, ...feedback }, costs);
    state = r.next;
    return r.reply;
  };
  const self = {
    rules,
    get now() {
      return now;
    },
    at(t: number) {
      now = t;
      return self;
    },
    take: (n = 1, cost = 1) =>
      exchange(
        {},
        Array.from({ length: n }, () => cost),
      ).decisions,
    /** `n` outcomes of dials admitted in the current epoch (or `epoch`), as a pod sends them. */
    report: (outcome: 'success' | 'failure' | 'overload', n = 1, extra: Partial<RampFeedbackCounts> = {}) => {
      const epoch = extra.epoch ?? state?.epoch ?? 0;
      return exchange(
        {
          epoch,
          [outcome === 'success' ? 'successes' : outcome === 'failure' ? 'failures' : 'overloads']: n,
          ...(outcome === 'success' ? { freshEpoch: epoch, freshSuccesses: n } : {}),
          ...extra,
        },
        [],
      );
    },
    get rate() {
      return (state?.rate ?? 0) / 1000;
    },
    get state() {
      return state as RampState;
    },
  };
  return self;
}

const admitted = (ds: RampDecision[]) => ds.filter((d) => d.admitted).length;

/**
 * A recovery under contention: every interval, `demand` takes, then a success for each
 * admitted, then time moves on one interval. Returns the rate after each interval.
 */
function cleanIntervals(r: ReturnType<typeof ramp>, intervals: number, demand = 1_000): number[] {
  const rates: number[] = [];
  for (let i = 0; i < intervals; i++) {
    const n = admitted(r.take(demand));
    r.report('success', Math.max(1, n));
    r.at(r.now + r.rules.adjustIntervalMs);
    r.report('success', 1); // closes the interval: the rate moves here
    rates.push(r.rate);
  }
  return rates;
}

describe('a fixed-rate ramp (floor = ceiling) is the plain token bucket', () => {
  const fixed = { ratePerSec: 10, minRatePerSec: 10, maxRatePerSec: 10, burst: 3, maxWaitMs: 0, minRetryAfterMs: 0 };

  it('starts full, empties, then refuses with the time until the next token', () => {
    const r = ramp(fixed).at(1_000);
    expect(r.take(4)).toEqual([
      { admitted: true, tokens: 2, delayMs: 0, epoch: 1_000 },
      { admitted: true, tokens: 1, delayMs: 0, epoch: 1_000 },
      { admitted: true, tokens: 0, delayMs: 0, epoch: 1_000 },
      { admitted: false, retryAfterMs: 100 },
    ]);
    r.at(1_050);
    expect(r.take()).toEqual([{ admitted: false, retryAfterMs: 50 }]);
    r.at(1_100);
    expect(admitted(r.take())).toBe(1);
    r.at(60_000);
    expect(r.take()).toEqual([{ admitted: true, tokens: 2, delayMs: 0, epoch: 1_000 }]);
  });

  it('writes nothing a refusal would change but the contention mark', () => {
    const r = ramp(fixed).at(0);
    r.take(3);
    const before = { ...r.state };
    r.take();
    expect(r.state).toEqual({ ...before, limitedAt: 0 });
  });

  it('refills nothing and delays nothing more when the clock goes backwards (a failover)', () => {
    const r = ramp(fixed).at(5_000);
    r.take(3);
    r.at(5_050);
    r.take(); // half a token in, refused
    r.at(1_000);
    expect(r.take()).toEqual([{ admitted: false, retryAfterMs: 50 }]);
  });

  it('takes a cost of several tokens at once', () => {
    expect(ramp(fixed).at(0).take(1, 3)).toEqual([{ admitted: true, tokens: 0, delayMs: 0, epoch: 0 }]);
  });

  it('books each caller beyond the burst the next free slot, one emission apart, up to maxWaitMs', () => {
    const r = ramp({ ...fixed, burst: 2, maxWaitMs: 300 }).at(1_000);
    expect(r.take(7).map((d) => (d.admitted ? d.delayMs : -d.retryAfterMs))).toEqual([0, 0, 100, 200, 300, -100, -100]);
    // Paid back as time passes.
    r.at(1_250);
    expect(r.take()).toEqual([{ admitted: true, tokens: 0, delayMs: 150, epoch: 1_000 }]);
  });

  it('never moves the rate, whatever is reported', () => {
    const r = ramp({ ...fixed, maxWaitMs: 1_000 }).at(0);
    expect(cleanIntervals(r, 3)).toEqual([10, 10, 10]);
    r.report('overload', 5);
    r.report('failure', 5);
    r.at(5_000);
    r.report('failure', 5);
    expect(r.rate).toBe(10);
  });
});

describe('slow start, then additive increase', () => {
  const rules = { ratePerSec: 10, minRatePerSec: 1, maxRatePerSec: 200, maxWaitMs: 1_000, increaseStepPerSec: 5 };

  it('doubles the rate per interval of clean successes under contention, up to the ceiling', () => {
    expect(cleanIntervals(ramp(rules).at(0), 6)).toEqual([20, 40, 80, 160, 200, 200]);
  });

  it('does not grow an unused rate: no caller had to wait', () => {
    const r = ramp(rules).at(0);
    for (let i = 1; i <= 5; i++) {
      r.take(2); // the burst covers it
      r.report('success', 2);
      r.at(i * 1_000);
      r.report('success');
    }
    expect(r.rate).toBe(10);
  });

  it('waits for the end of the interval and for evidence: no change on the first success', () => {
    const r = ramp(rules).at(0);
    r.take(100);
    r.at(999);
    r.report('success', 50);
    expect(r.rate).toBe(10);
    r.at(1_000);
    r.report('success');
    expect(r.rate).toBe(20);
  });

  it('above the threshold of the latest cut, grows by the step only', () => {
    const r = ramp(rules).at(0);
    cleanIntervals(r, 3); // 80
    r.report('overload');
    expect(r.rate).toBe(40);
    expect(r.state.threshold).toBe(40_000);
    expect(cleanIntervals(r, 4)).toEqual([45, 50, 55, 60]);
  });

  it('with increaseFactor 1 (no slow start) grows by the step from the first interval: a linear ramp', () => {
    const r = ramp({ ...rules, increaseFactor: 1 }).at(0);
    expect(cleanIntervals(r, 4)).toEqual([15, 20, 25, 30]);
    r.report('overload');
    expect(r.rate).toBe(15);
    expect(cleanIntervals(r, 2)).toEqual([20, 25]);
  });
});

describe('multiplicative decrease', () => {
  const rules = { ratePerSec: 80, minRatePerSec: 15, maxRatePerSec: 500, maxWaitMs: 1_000, failureRatio: 0.1 };

  it('cuts at once on an overload, not below the floor', () => {
    const r = ramp(rules).at(0);
    r.take(200);
    const epochs: number[] = [];
    for (const t of [100, 200, 300]) {
      r.at(t);
      r.report('overload');
      epochs.push(r.state.epoch);
    }
    expect(r.rate).toBe(15); // 80 → 40 → 20 → 15 (the floor)
    expect(epochs).toEqual([100, 200, 300]);
  });

  it('drops feedback on dials admitted before the latest change: one cut per piece of fresh evidence', () => {
    const r = ramp(rules).at(0);
    const [first] = r.take(100) as [RampDecision & { epoch: number }];
    r.at(100);
    r.report('overload', 1, { epoch: first.epoch });
    expect(r.rate).toBe(40);
    // 30 more overloads from dials admitted at 80/s arrive: stale.
    r.at(150);
    const late = r.report('overload', 30, { epoch: first.epoch });
    expect(late.events).toMatchObject({ stale: true, decreased: false });
    expect(r.rate).toBe(40);
    // A dial admitted at 40/s is overloaded too: fresh evidence, a second cut.
    const [again] = r.take() as [RampDecision & { epoch: number }];
    r.at(200);
    r.report('overload', 1, { epoch: again.epoch });
    expect(r.rate).toBe(20);
  });

  it('cuts on failures at the end of an interval when they reach failureRatio; fewer are noise', () => {
    const r = ramp(rules).at(0);
    r.take(200);
    r.report('success', 95);
    r.report('failure', 5); // 5 %
    r.at(1_000);
    r.report('success');
    expect(r.rate).toBe(160); // a clean interval: it grew
    r.take(300);
    r.report('success', 80);
    r.report('failure', 20); // 20 %: not before the interval ends
    expect(r.rate).toBe(160);
    r.at(2_000);
    r.report('success');
    expect(r.rate).toBe(80);
    expect(r.state.threshold).toBe(80_000);
  });

  it('keeps booked slots at their times and books new ones after the last, at the new rate', () => {
    const r = ramp({ ...rules, burst: 10, maxWaitMs: 1_000 }).at(0);
    const booked = r.take(90).filter((d) => d.admitted);
    // 10 now, then 80/s: the last booked slot is 1,000 ms ahead.
    expect(booked).toHaveLength(90);
    expect((booked[89] as { delayMs: number }).delayMs).toBe(1_000);
    r.report('overload'); // 80 → 40/s
    r.at(500);
    // The next slot follows the last booked one (at 1,000), one emission at 40/s later.
    expect(r.take()).toEqual([{ admitted: true, tokens: 0, delayMs: 525, epoch: 1 }]);
  });
});

describe('congestion episodes: only a cut, a pause or a restart makes feedback stale', () => {
  const rules = { ratePerSec: 10, minRatePerSec: 1, maxRatePerSec: 200, maxWaitMs: 1_000, failureRatio: 0.1 };

  it('hears a failure of a dial admitted before an increase, and cuts', () => {
    const r = ramp(rules).at(0);
    const [early] = r.take(100) as [RampDecision & { epoch: number }];
    cleanIntervals(r, 2); // 10 → 20 → 40: two increases since `early` was admitted
    expect(r.rate).toBe(40);
    // Dials admitted at 10/s time out now: not stale, and a failing share of the interval.
    const reply = r.report('failure', 5, { epoch: early.epoch });
    expect(reply.events).toMatchObject({ stale: false });
    r.at(r.now + 1_000);
    expect(r.report('success', 5).events).toMatchObject({ decreased: true });
    expect(r.rate).toBe(20);
    // The next reports on dials admitted before that cut are stale: one cut per episode.
    r.at(r.now + 1_000);
    expect(r.report('failure', 50, { epoch: early.epoch }).events).toMatchObject({ stale: true });
    r.at(r.now + 1_000);
    r.report('success', 1);
    expect(r.rate).toBe(20);
  });

  it('stops doubling when half the dials time out 3 s after admission while the other half succeed at once', () => {
    const r = ramp(rules).at(0);
    const due: { at: number; epoch: number; n: number }[] = [];
    const rates: number[] = [];
    for (let second = 0; second < 10; second++) {
      r.at(second * 1_000);
      for (const d of due.filter((f) => f.at === r.now)) r.report('failure', d.n, { epoch: d.epoch });
      const admittedNow = r.take(1_000).filter((d) => d.admitted) as (RampDecision & { epoch: number })[];
      const epoch = admittedNow[0]?.epoch ?? r.state.epoch;
      const half = Math.floor(admittedNow.length / 2);
      r.report('success', half, { epoch });
      due.push({ at: r.now + 3_000, epoch, n: admittedNow.length - half });
      rates.push(r.rate);
    }
    // Slow start until the first timeouts come back (3 s): a cut, then the additive step until the
    // timeouts of the dials admitted after that cut come back (6 s, 9 s): one cut per episode.
    // Deaf to timeouts from before an increase, it would double on to the 200/s ceiling.
    expect(rates).toEqual([10, 20, 40, 20, 21, 22, 11, 12, 13, 6.5]);
  });

  it('counts successes from before an increase in the failure share, but grows only on successes at the current rate', () => {
    const r = ramp(rules).at(0);
    const [early] = r.take(100) as [RampDecision & { epoch: number }];
    cleanIntervals(r, 1); // 20/s
    r.take(100);
    // 19 successes admitted at 10/s and one timeout: 5 %, noise; no success at 20/s yet.
    r.report('success', 19, { epoch: early.epoch });
    r.report('failure', 1, { epoch: early.epoch });
    r.at(r.now + 1_000);
    const reply = r.report('success', 1, { epoch: early.epoch });
    expect(reply.events).toMatchObject({ decreased: false, increased: false, stale: false });
    expect(r.rate).toBe(20);
  });

  it('keeps the interval open on outcomes from before an increase until a success at the new rate judges it', () => {
    const r = ramp(rules).at(0);
    const [early] = r.take(100) as [RampDecision & { epoch: number }];
    cleanIntervals(r, 1); // 20/s from 1,000
    r.take(100);
    r.at(2_000);
    r.report('success', 10, { epoch: early.epoch }); // the interval is over, but no evidence at 20/s yet
    expect(r.state.intervalStart).toBe(1_000);
    r.at(2_100);
    expect(r.report('success', 1).events).toMatchObject({ increased: true }); // not one interval later
    expect(r.rate).toBe(40);
  });

  it('grows the additive step once per clean interval on successes since the cut, without waiting for one at the current rate', () => {
    const r = ramp({ ...rules, increaseFactor: 1, increaseStepPerSec: 5 }).at(0);
    const [early] = r.take(100) as [RampDecision & { epoch: number }];
    const rates: number[] = [];
    for (let second = 1; second <= 4; second++) {
      r.take(100); // callers wait: the rate is in use
      r.at(second * 1_000);
      // Confirmations lag: every success reported is of a dial admitted at the first rate.
      r.report('success', 10, { epoch: early.epoch, freshEpoch: early.epoch, freshSuccesses: 10 });
      rates.push(r.rate);
    }
    expect(rates).toEqual([15, 20, 25, 30]);
    // Slow start still doubles only on a success at the current rate.
    const s = ramp(rules).at(0);
    const [first] = s.take(100) as [RampDecision & { epoch: number }];
    s.at(1_000);
    s.report('success', 10, { epoch: first.epoch });
    expect(s.rate).toBe(20);
    s.take(100);
    s.at(2_000);
    s.report('success', 10, { epoch: first.epoch, freshEpoch: first.epoch, freshSuccesses: 10 });
    expect(s.rate).toBe(20);
  });

  it('drops successes from before a cut: they do not feed growth', () => {
    const r = ramp(rules).at(0);
    const [early] = r.take(100) as [RampDecision & { epoch: number }];
    r.report('overload'); // 10 → 5
    r.take(100);
    r.at(1_000);
    expect(r.report('success', 30, { epoch: early.epoch }).events).toMatchObject({ stale: true, increased: false });
    expect(r.rate).toBe(5);
  });

  it('makes what was admitted before a pause stale, even when the rate cannot go lower', () => {
    const r = ramp({ ...rules, ratePerSec: 1, minRatePerSec: 1, maxPauseMs: 5_000 }).at(0);
    const [early] = r.take(10) as [RampDecision & { epoch: number }];
    // A Retry-After on a dial of no known epoch: a pause, no cut.
    const paused = r.report('overload', 1, { epoch: 999_999, retryAfterMs: 2_000 });
    expect(paused.events).toMatchObject({ paused: true, decreased: false, stale: true });
    expect(paused.status.cutEpoch).toBeGreaterThan(early.epoch);
    expect(r.report('failure', 5, { epoch: early.epoch }).events).toMatchObject({ stale: true });
  });
});

describe('Retry-After pauses every admission', () => {
  const rules = { ratePerSec: 10, burst: 5, maxWaitMs: 1_000, minRetryAfterMs: 0, maxPauseMs: 30_000 };

  it('refuses until the pause ends, then admits at the cut rate with no burst saved up', () => {
    const r = ramp(rules).at(0);
    r.take(2);
    const reply = r.report('overload', 1, { retryAfterMs: 5_000 });
    expect(reply.events).toMatchObject({ paused: true, decreased: true });
    expect(reply.status).toMatchObject({ ratePerSec: 5, pausedUntil: 5_000 });
    r.at(1_000);
    expect(r.take()).toEqual([{ admitted: false, retryAfterMs: 3_200 }]); // slot at 5,200 minus the 1,000 ms horizon
    r.at(4_500);
    expect(r.take()).toEqual([{ admitted: true, tokens: 0, delayMs: 700, epoch: 1 }]);
    r.at(10_000);
    // 4.8 s at 5/s since the slot at 5,200: the burst (5) is there again, not 5 + what the pause would have given.
    expect(admitted(r.take(10))).toBe(5 + 5); // 5 at hand, 5 booked within the second
  });

  it('honours a Retry-After reported on a stale dial, caps it at maxPauseMs, and ignores it with maxPauseMs 0', () => {
    const r = ramp(rules).at(0);
    r.take();
    r.report('overload', 1, { epoch: 12345, retryAfterMs: 600_000 });
    expect(r.state.pausedUntil).toBe(30_000);
    expect(r.rate).toBe(10); // stale: no cut
    const off = ramp({ ...rules, maxPauseMs: 0 }).at(0);
    off.take();
    off.report('overload', 1, { retryAfterMs: 5_000 });
    expect(off.state.pausedUntil).toBe(0);
    expect(off.rate).toBe(5);
  });

  it('tells refused callers to come back no sooner than minRetryAfterMs', () => {
    const r = ramp({ ...rules, minRetryAfterMs: 1_000 }).at(0);
    const refusals = r.take(100).filter((d) => !d.admitted);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((d) => !d.admitted && d.retryAfterMs >= 1_000)).toBe(true);
  });
});

describe('restart', () => {
  it('forgets what it learned after idleResetMs without contention: back to the starting rate and no threshold', () => {
    const rules = { ratePerSec: 10, minRatePerSec: 1, maxRatePerSec: 200, maxWaitMs: 1_000, idleResetMs: 10_000 };
    const r = ramp(rules).at(0);
    cleanIntervals(r, 3); // 80/s, last contended at 2,000
    r.report('overload'); // 40/s, threshold 40
    r.at(11_999);
    expect(r.take()[0]?.admitted).toBe(true);
    expect(r.rate).toBe(40);
    r.at(12_000);
    const reply = r.report('success', 1, { epoch: r.state.epoch });
    expect(reply.events).toMatchObject({ restarted: true, stale: true });
    expect(r.rate).toBe(10);
    expect(r.state.threshold).toBe(200_000);
    expect(cleanIntervals(r, 2)).toEqual([20, 40]);
  });
});

describe('invariants over a random recovery', () => {
  it('never admits more than the burst plus the rate in force, and keeps the rate within its bounds', () => {
    const rules = resolveRampRules({ ratePerSec: 20, burst: 10, maxWaitMs: 500 });
    let state: RampState | undefined;
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    let credit = rules.burst; // tokens the rates in force have allowed so far, plus the burst
    let granted = 0;
    let last = 0;
    for (let now = 0; now < 120_000; now += 10 + Math.floor(random() * 90)) {
      credit += ((now - last) * (state?.rate ?? 20_000)) / MICRO_TOKENS;
      last = now;
      const kind = random();
      const feedback: RampFeedbackCounts = {
        epoch: state?.epoch ?? 0,
        successes: kind < 0.8 ? 3 : 0,
        failures: kind >= 0.8 && kind < 0.95 ? 1 : 0,
        overloads: kind >= 0.95 ? 1 : 0,
        freshEpoch: state?.epoch ?? 0,
        freshSuccesses: kind < 0.8 ? 3 : 0,
        retryAfterMs: kind >= 0.99 ? 2_000 : 0,
      };
      const r = rampExchange(state, now, rules, feedback, [1, 1, 1, 1, 1]);
      state = r.next;
      for (const d of r.reply.decisions) if (d.admitted) granted++;
      expect(state.rate).toBeGreaterThanOrEqual(rules.minRatePerSec * 1_000);
      expect(state.rate).toBeLessThanOrEqual(rules.maxRatePerSec * 1_000);
      // Booked slots are granted early: at most maxWaitMs of the fastest rate ahead of the credit.
      expect(granted).toBeLessThanOrEqual(credit + (rules.maxWaitMs * rules.maxRatePerSec) / 1_000 + 1);
    }
    expect(granted).toBeGreaterThan(1_000);
  });
});
