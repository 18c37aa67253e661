import type { RampAdmission, RampFeedback, ReconnectRamp } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { harness } from '../testing/session-harness.js';

// What the reconnect ramp hears from a session: the verdict of each dial it admitted,
// with an overloaded pusher's Retry-After, and how the session itself honours one.

/** A ramp that admits every take at once (epoch 7) and records what it is told. */
function recordingRamp() {
  const reports: { epoch: number | undefined; feedback: RampFeedback }[] = [];
  let takes = 0;
  const ramp: ReconnectRamp = {
    take: async () => {
      takes++;
      return { admitted: true, tokens: 10, delayMs: 0, epoch: 7 };
    },
    report: (admission: RampAdmission, feedback: RampFeedback) => {
      reports.push({ epoch: admission.epoch, feedback });
    },
  };
  return { ramp, reports, outcomes: () => reports.map((r) => r.feedback.outcome), takes: () => takes };
}

describe('PusherSession → reconnect ramp', () => {
  it('reports each admitted dial once it has its verdict, against the admission it came with', async () => {
    const r = recordingRamp();
    const h = harness({ ramp: r.ramp });
    h.dialer.mode = 'accept';
    await h.session.start();
    expect(r.reports).toEqual([]); // not before the connection has proved itself
    await h.advance(1_000);
    expect(r.reports).toEqual([{ epoch: 7, feedback: { outcome: 'success' } }]);
    await h.advance(10_000); // a stable connection: the next attempt is the first, 1 s away
    // Lost after its verdict: the breaker hears a failure, the ramp nothing (it admitted a dial, not a connection).
    h.dialer.mode = 'fail';
    h.dialer.lastConnection.drop(1006);
    await h.advance(1_000); // backoff 1 s, the ramp, a dial that fails
    expect(r.outcomes()).toEqual(['success', 'failure']);
    await h.advance(250 + 500 + 1_000); // the attempt's quick retries: not admitted by the ramp on their own
    expect(h.dialer.dials).toHaveLength(5);
    expect(r.outcomes()).toEqual(['success', 'failure']);
    expect(r.takes()).toBe(2);
  });

  it('a 503 with Retry-After is an overload: reported with it, no quick retries, the next dial waits for it', async () => {
    const r = recordingRamp();
    const h = harness({ ramp: r.ramp });
    h.dialer.mode = 'accept';
    await h.session.start();
    await h.advance(11_000); // proved itself, and stable
    h.dialer.mode = 'manual';
    h.dialer.lastConnection.drop(1006);
    await h.advance(1_000);
    h.dialer.last.reject(503, 5_000);
    await h.advance(0);
    expect(r.reports.at(-1)).toEqual({ epoch: 7, feedback: { outcome: 'overload', retryAfterMs: 5_000 } });
    expect(h.session.status).toMatchObject({ value: 'reconnect_backoff', failures: 1 });
    expect(h.causes.at(-1)).toBe('overloaded');
    await h.advance(4_999); // the backoff (2 s) is shorter than pusher asked: no dial before 5 s
    expect(h.dialer.dials).toHaveLength(2);
    await h.advance(1);
    expect(h.dialer.dials).toHaveLength(3);
    expect(await h.registry.getSingleMetricAsString('pusher_reconnect_attempts_total')).toContain(
      'result="overloaded"} 1',
    );
  });

  it('a 503 without Retry-After, or any other status, is a failure like any other', async () => {
    const r = recordingRamp();
    const h = harness({ ramp: r.ramp });
    h.dialer.mode = 'accept';
    await h.session.start();
    await h.advance(11_000); // proved itself, and stable
    h.dialer.mode = 'manual';
    h.dialer.lastConnection.drop(1006);
    await h.advance(1_000);
    h.dialer.last.reject(503);
    await h.advance(250); // a quick retry, as for any failed dial
    expect(h.dialer.dials).toHaveLength(3);
    h.dialer.last.reject(429);
    expect(r.outcomes()).toEqual(['success', 'failure']);
  });

  it('a first connect answered "overloaded" waits for the Retry-After instead of degrading', async () => {
    const r = recordingRamp();
    const h = harness({ ramp: r.ramp });
    const started = h.session.start();
    await h.advance(0);
    h.dialer.last.reject(503, 3_000);
    await started;
    expect(h.session.status).toMatchObject({ value: 'reconnect_backoff', failures: 1 });
    expect(h.causes.at(-1)).toBe('first_connect_overloaded');
    h.dialer.mode = 'accept';
    await h.advance(2_999);
    expect(h.dialer.dials).toHaveLength(1);
    await h.advance(1 + 1_000);
    expect(h.session.state).toBe('connected');
    expect(r.outcomes()).toEqual(['overload', 'success']);
  });

  it('tells the ramp nothing of a lease probe, an excused 1001, or a dial it did not admit', async () => {
    const r = recordingRamp();
    const h = harness({ ramp: r.ramp });
    h.dialer.mode = 'accept';
    await h.session.start();
    await h.advance(500);
    h.dialer.lastConnection.drop(1001); // a deploy within the confirm window: no verdict
    await h.advance(0);
    expect(r.reports).toEqual([]);
    // Degraded, then a half-open probe under the lease.
    h.dialer.mode = 'fail';
    h.breaker.set('open');
    await h.advance(10_000);
    const before = r.reports.length;
    h.dialer.mode = 'accept';
    h.breaker.set('half_open');
    await h.advance(2_000);
    expect(h.breaker.reports).toEqual([expect.objectContaining({ outcome: 'success' })]);
    expect(r.reports).toHaveLength(before);
    // A ramp that fails lets the attempt through; there is no admission to report on.
    const failing = harness({ ramp: { take: () => Promise.reject(new Error('redis down')), report: r.ramp.report } });
    failing.dialer.mode = 'accept';
    await failing.session.start();
    await failing.advance(1_000);
    expect(failing.session.state).toBe('connected');
    expect(r.reports).toHaveLength(before);
  });
});
