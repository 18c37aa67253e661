import { describe, expect, it } from 'vitest';
import { ExchangeBatcher, type ExchangeResult, MAX_TAKES_PER_EXCHANGE } from './exchange-batcher.js';
import { checkReport, PendingFeedback } from './pending-feedback.js';
import { NO_FEEDBACK, type RampFeedbackCounts } from './ramp-exchange.js';

const events = { restarted: false, decreased: false, increased: false, paused: false, stale: false };

/** A fake ramp that admits every take with its index in the exchange as `delayMs`, and records calls. */
function fakeRamp(epoch = 7, cutEpoch = epoch) {
  const calls: { feedback: RampFeedbackCounts; costs: number[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = async (feedback: RampFeedbackCounts, costs: number[]): Promise<ExchangeResult> => {
    calls.push({ feedback, costs });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    return {
      now: 0,
      decisions: costs.map((_, i) => ({ admitted: true, tokens: 0, delayMs: i, epoch })),
      status: { ratePerSec: 1, thresholdPerSec: 1, epoch, pausedUntil: 0, cutEpoch },
      events,
    };
  };
  return { calls, send, maxInFlight: () => maxInFlight };
}

describe('ExchangeBatcher', () => {
  it("sends a pod's takes as one exchange and answers each with its own decision", async () => {
    const ramp = fakeRamp();
    const batcher = new ExchangeBatcher(100, ramp.send);
    const decisions = await Promise.all(Array.from({ length: 300 }, () => batcher.take(1)));
    expect(ramp.calls).toHaveLength(1);
    expect(decisions.map((d) => (d.admitted ? d.delayMs : -1))).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('never sends two exchanges at once, and splits more than it may carry', async () => {
    const ramp = fakeRamp();
    const batcher = new ExchangeBatcher(0, ramp.send);
    const first = Array.from({ length: MAX_TAKES_PER_EXCHANGE + 5 }, () => batcher.take(1));
    await new Promise((r) => setTimeout(r, 0));
    const later = Array.from({ length: 3 }, () => batcher.take(2)); // while the first is in flight
    await Promise.all([...first, ...later]);
    expect(ramp.calls.map((c) => c.costs.length)).toEqual([MAX_TAKES_PER_EXCHANGE, 8]);
    expect(ramp.maxInFlight()).toBe(1);
  });

  it('carries the feedback counted since the previous exchange, and drops what a reply shows is stale', async () => {
    const ramp = fakeRamp(7, 6); // the ramp grew at 7, after its latest cut at 6
    const batcher = new ExchangeBatcher(0, ramp.send);
    const report = (epoch: number, outcome: 'success' | 'failure' | 'overload', retryAfterMs = 0) =>
      batcher.report({ epoch, outcome, retryAfterMs });
    report(5, 'success');
    report(5, 'failure');
    report(6, 'success'); // a newer epoch: 5's successes are no longer growth evidence, but all still count
    report(5, 'overload', 3_000);
    await batcher.flush();
    expect(ramp.calls[0]?.feedback).toEqual({
      epoch: 5,
      successes: 2,
      failures: 1,
      overloads: 1,
      freshEpoch: 6,
      freshSuccesses: 1,
      retryAfterMs: 3_000,
    });
    // The reply showed the cut at 6: a report on epoch 5 is dropped at once; 6 is only older than the
    // increase at 7, so its failure still counts, and its success counts but is no growth evidence.
    expect(report(5, 'failure')).toBe(false);
    expect(report(6, 'failure')).toBe(true);
    expect(report(6, 'success')).toBe(true);
    expect(report(7, 'success')).toBe(true);
    await batcher.flush();
    expect(ramp.calls[1]?.feedback).toEqual({
      epoch: 6,
      successes: 2,
      failures: 1,
      overloads: 0,
      freshEpoch: 7,
      freshSuccesses: 1,
      retryAfterMs: 0,
    });
    await batcher.flush();
    expect(ramp.calls).toHaveLength(2); // nothing pending, nothing sent
  });

  it('drops pending counts from before a cut a reply shows, and growth evidence from before an increase', () => {
    const pending = new PendingFeedback();
    pending.add({ epoch: 10, outcome: 'failure', retryAfterMs: 0 });
    pending.add({ epoch: 10, outcome: 'success', retryAfterMs: 0 });
    pending.know(11, 10); // an increase: nothing stale
    expect(pending.take()).toEqual({
      epoch: 10,
      successes: 1,
      failures: 1,
      overloads: 0,
      freshEpoch: 0,
      freshSuccesses: 0,
      retryAfterMs: 0,
    });
    pending.add({ epoch: 11, outcome: 'failure', retryAfterMs: 0 });
    pending.add({ epoch: 11, outcome: 'overload', retryAfterMs: 2_000 });
    pending.know(12, 12); // a cut: both stale; the Retry-After is kept
    expect(pending.take()).toEqual({ ...NO_FEEDBACK, retryAfterMs: 2_000 });
  });

  it('rejects the takes of a failed exchange with its error and carries on', async () => {
    let fail = true;
    const ramp = fakeRamp();
    const batcher = new ExchangeBatcher(0, (feedback, costs) =>
      fail ? Promise.reject(new Error('redis down')) : ramp.send(feedback, costs),
    );
    await expect(batcher.take(1)).rejects.toThrow('redis down');
    fail = false;
    expect((await batcher.take(1)).admitted).toBe(true);
  });
});

describe('checkReport', () => {
  it('returns null for an admission without an epoch (a ramp that takes no feedback)', () => {
    expect(checkReport({ admitted: true, tokens: 0, delayMs: 0 }, { outcome: 'success' })).toBeNull();
    expect(checkReport({ admitted: true, tokens: 0, delayMs: 0, epoch: 3 }, { outcome: 'overload' })).toEqual({
      epoch: 3,
      outcome: 'overload',
      retryAfterMs: 0,
    });
  });

  it('PendingFeedback starts empty and is empty again once taken', () => {
    const pending = new PendingFeedback();
    expect(pending.empty).toBe(true);
    pending.add({ epoch: 1, outcome: 'success', retryAfterMs: 0 });
    expect(pending.take()).toMatchObject({ epoch: 1, successes: 1 });
    expect(pending.empty).toBe(true);
  });
});
