import {
  type BreakerStore,
  type BreakerTransition,
  isBreakerNotFoundError,
  isInvalidArgumentError,
} from '@breakwater/breaker-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../harness/wait-until.js';
import { type ManualClock, manualClock } from './manual-clock.js';
import type { StoreTarget } from './store-targets.js';

/**
 * The rules every BreakerStore obeys, whatever holds the state. Run against
 * MemoryBreakerStore, RedisBreakerStore on one redis-server, and on a Redis
 * Cluster by store-conformance.test.ts. Time is driven by a manual clock that
 * both stores accept (Redis scripts get it instead of TIME).
 */
export function describeStoreConformance(target: StoreTarget): void {
  describe(target.label, () => {
    beforeAll(() => target.setup());
    afterAll(() => target.teardown());

    let seq = 0;
    function setup(config: Record<string, unknown> = {}, options?: { auditMaxLength?: number }) {
      const clock: ManualClock = manualClock();
      const store = target.create(clock, options);
      const name = `br-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
      return { clock, store, name, register: () => store.register(name, config) };
    }

    async function fail(store: BreakerStore, name: string, pod: string, n: number) {
      return store.record(name, pod, { failures: n, successes: 0 });
    }

    async function tripAndCool(store: BreakerStore, name: string, clock: ManualClock, threshold = 20) {
      await fail(store, name, 'pod-a', threshold);
      clock.advance(60_000);
      const s = await store.snapshot(name);
      expect(s.state).toBe('half_open');
      return s;
    }

    it('registers a closed breaker at generation 0 with the default rules', async () => {
      const { store, name, register } = setup();
      const { snapshot, configDrift } = await register();
      expect(configDrift).toBe(false);
      expect(snapshot).toMatchObject({
        name,
        state: 'closed',
        automaticState: 'closed',
        generation: 0,
        mode: 'enforce',
        window: { failures: 0, successes: 0, failingPods: 0 },
        probe: null,
        override: null,
      });
      expect(snapshot.config.failureThreshold).toBe(20);
      expect(snapshot.config.windowMs).toBe(30_000);
      expect(await store.list()).toContain(name);
    });

    it('keeps the stored config and reports drift when a pod registers different rules', async () => {
      const { clock, store, name, register } = setup({ failureThreshold: 5 });
      await register();
      const other = target.create(clock);
      const again = await other.register(name, { failureThreshold: 7 });
      expect(again.configDrift).toBe(true);
      expect(again.snapshot.config.failureThreshold).toBe(5);
      // The drifting pod's records are judged by the stored rules (5), not its own (7).
      const reply = await other.record(name, 'pod-x', { failures: 5, successes: 0 });
      expect(reply.configDrift).toBe(true);
      expect(reply.snapshot.state).toBe('open');
      expect((await store.register(name, { failureThreshold: 5 })).configDrift).toBe(false);
    });

    it('re-registering applies and publishes what fell due, like any other call', async () => {
      const { clock, store, name, register } = setup({ failureThreshold: 3 });
      await register();
      await fail(store, name, 'pod-a', 3);
      const received: BreakerTransition[] = [];
      const sub = await target.create(clock).subscribe(name, (t) => received.push(t));
      clock.advance(60_000); // the cooldown ended; nobody has called since
      const again = await target.create(clock).register(name, { failureThreshold: 3 });
      expect(again.snapshot).toMatchObject({ state: 'half_open', generation: 2, cooldownUntil: null });
      await waitUntil(() => received.some((t) => t.generation === 2));
      sub.dispose();
      // On a Cluster, PUBLISH travels over the cluster bus, so the trip (generation 1), published
      // before this subscription, can still reach a subscriber on another node after it: only
      // what fell due at the re-register is asserted, and nothing after it.
      expect(received.filter((t) => t.generation >= 2)).toEqual([
        expect.objectContaining({ action: 'half_open', generation: 2 }),
      ]);
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({ action: 'half_open', generation: 2 });
    });

    it('trips exactly at the failure threshold, not one before', async () => {
      const { store, name, register } = setup();
      await register();
      for (let i = 0; i < 19; i++) {
        const r = await fail(store, name, 'pod-a', 1);
        expect(r.snapshot.state).toBe('closed');
        expect(r.transitions).toEqual([]);
      }
      const r = await fail(store, name, 'pod-a', 1);
      expect(r.snapshot.state).toBe('open');
      expect(r.snapshot.window.failures).toBe(20);
      expect(r.snapshot.generation).toBe(1);
      expect(r.transitions).toEqual([
        expect.objectContaining({ action: 'trip', from: 'closed', to: 'open', state: 'open', generation: 1 }),
      ]);
    });

    it('lets old failures leave the window', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await fail(store, name, 'pod-a', 10);
      clock.advance(29_000); // same window: the first bucket is the oldest still counted
      expect((await fail(store, name, 'pod-a', 9)).snapshot.window.failures).toBe(19);
      clock.advance(1_000); // the first 10 leave
      const r = await fail(store, name, 'pod-a', 1);
      expect(r.snapshot.window.failures).toBe(10);
      expect(r.snapshot.state).toBe('closed');
      clock.advance(30_000);
      expect((await store.snapshot(name)).window.failures).toBe(0);
    });

    it('applies the failure-rate rule only from its minimum call count', async () => {
      const { store, name, register } = setup({
        failureThreshold: 1_000,
        failureRate: { threshold: 0.5, minimumCalls: 10 },
      });
      await register();
      let r = await store.record(name, 'pod-a', { failures: 8, successes: 1 }); // 89 % of 9 calls
      expect(r.snapshot.state).toBe('closed');
      r = await store.record(name, 'pod-a', { failures: 0, successes: 9 }); // 8/18 = 44 %
      expect(r.snapshot.state).toBe('closed');
      r = await store.record(name, 'pod-a', { failures: 1, successes: 0 }); // 9/19 = 47 %
      expect(r.snapshot.state).toBe('closed');
      r = await store.record(name, 'pod-a', { failures: 1, successes: 0 }); // 10/20 = 50 %
      expect(r.snapshot.state).toBe('open');
      expect(r.transitions[0]?.reason).toMatch(/failure rate 10\/20/);
    });

    /**
     * Issue 13: a connect wave of 1,500 sessions (the fleet starting, or reconnecting after
     * a close) in which a few dozen dials are slow is noise, not an outage. 30 pods report,
     * one a second; 1 in 50 of their calls failed: 30 failures, past failureThreshold.
     */
    async function connectWave(store: BreakerStore, name: string, clock: ManualClock) {
      const replies = [];
      for (let pod = 0; pod < 30; pod++) {
        replies.push(await store.record(name, `pod-${pod}`, { failures: 1, successes: 49 }));
        clock.advance(33);
      }
      return replies;
    }

    it('does not trip a just-created breaker on a small share of a big connect wave', async () => {
      const { clock, store, name, register } = setup();
      const countOnly = `${name}-count`;
      await register();
      await store.register(countOnly, { minFailureRatio: 0 });
      const replies = await connectWave(store, name, clock);
      expect(replies.flatMap((r) => r.transitions)).toEqual([]);
      expect(replies.at(-1)?.snapshot).toMatchObject({ state: 'closed', window: { failures: 30, successes: 1_470 } });
      // The same wave under the count rule alone (the old default) trips at its 20th failure.
      const old = await connectWave(store, countOnly, clock);
      expect(old.findIndex((r) => r.transitions.some((t) => t.action === 'trip'))).toBe(19);
    });

    it('does not trip on a small share of the reconnect wave right after a close', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      const closed = await store.reportProbe(lease.lease, 'success');
      expect(closed.snapshot).toMatchObject({ state: 'closed', window: { failures: 0, successes: 0 } });
      const replies = await connectWave(store, name, clock);
      expect(replies.flatMap((r) => r.transitions)).toEqual([]);
      expect((await store.snapshot(name)).state).toBe('closed');
    });

    it('still trips a real outage, at the first flush where failures reach half of the window', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await store.record(name, 'pod-a', { failures: 0, successes: 150 }); // the healthy churn before
      clock.advance(5_000);
      for (let pod = 0; pod < 14; pod++) {
        const r = await fail(store, name, `pod-${pod}`, 10); // every pod's sessions lose their connection
        expect(r.snapshot.state, `after ${(pod + 1) * 10} failures`).toBe('closed');
      }
      const r = await fail(store, name, 'pod-14', 10);
      expect(r.transitions).toEqual([
        expect.objectContaining({ action: 'trip', reason: '150 failures in window (of 300 calls)', generation: 1 }),
      ]);
    });

    it('re-trips a flapping downstream right after a close: every dial of the wave fails', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      await store.reportProbe(lease.lease, 'success');
      expect((await fail(store, name, 'pod-b', 19)).snapshot.state).toBe('closed');
      const r = await fail(store, name, 'pod-c', 1);
      expect(r.transitions).toEqual([
        expect.objectContaining({ action: 'trip', reason: '20 failures in window (of 20 calls)' }),
      ]);
    });

    it('decides the minFailureRatio boundary in the same double arithmetic (0.28 × 25 = 7.000000000000001)', async () => {
      const { store, name } = setup();
      const rules = { failureThreshold: 1, minFailureRatio: 0.28 };
      await store.register(name, rules);
      await store.register(`${name}-b`, rules);
      await store.record(name, 'pod-a', { failures: 0, successes: 18 });
      expect((await fail(store, name, 'pod-a', 7)).snapshot.state).toBe('closed'); // 7 of 25: just below
      await store.record(`${name}-b`, 'pod-a', { failures: 0, successes: 17 });
      expect((await fail(store, `${name}-b`, 'pod-a', 8)).snapshot.state).toBe('open'); // 8 of 25
    });

    it('applies a new minFailureRatio from updateConfig to every pod', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await store.record(name, 'pod-a', { failures: 0, successes: 100 });
      expect((await fail(store, name, 'pod-a', 25)).snapshot.state).toBe('closed'); // 25 of 125
      const updated = await store.updateConfig(name, { minFailureRatio: 0.2 }, { actor: 'sre', reason: 'stricter' });
      expect(updated.config.minFailureRatio).toBe(0.2);
      const other = target.create(clock);
      expect((await other.register(name, {})).configDrift).toBe(true);
      const r = await other.record(name, 'pod-b', { failures: 1, successes: 0 }); // 26 of 126 ≥ 20 %
      expect(r.transitions).toEqual([expect.objectContaining({ action: 'trip' })]);
    });

    it('waits for a quorum of distinct failing pods', async () => {
      const { store, name, register } = setup({ failureThreshold: 5, quorum: 3 });
      await register();
      expect((await fail(store, name, 'pod-a', 50)).snapshot.state).toBe('closed');
      expect((await fail(store, name, 'pod-a', 50)).snapshot.window.failingPods).toBe(1);
      expect((await fail(store, name, 'pod-b', 1)).snapshot.state).toBe('closed');
      const r = await fail(store, name, 'pod-c', 1);
      expect(r.snapshot.window.failingPods).toBe(3);
      expect(r.snapshot.state).toBe('open');
    });

    it('does not count a pod toward the quorum once its failures left the window', async () => {
      const { clock, store, name, register } = setup({ failureThreshold: 2, quorum: 2 });
      await register();
      await fail(store, name, 'pod-a', 1);
      clock.advance(30_000);
      const r = await fail(store, name, 'pod-b', 5);
      expect(r.snapshot.window.failingPods).toBe(1);
      expect(r.snapshot.state).toBe('closed');
    });

    it('half-opens when the cooldown ends, seen by any reader', async () => {
      const { clock, store, name, register } = setup();
      await register();
      const tripped = await fail(store, name, 'pod-a', 20);
      expect(tripped.snapshot.cooldownUntil).toBe(tripped.snapshot.at + 1_000); // the default first cooldown
      clock.advance(999);
      expect((await store.snapshot(name)).state).toBe('open');
      clock.advance(1);
      const reader = target.create(clock);
      const s = await reader.snapshot(name);
      expect(s.state).toBe('half_open');
      expect(s.generation).toBe(2);
      expect(s.cooldownUntil).toBeNull();
    });

    it('grants one probe lease; others learn who holds it; the holder gets the same lease again', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const a = await store.acquireProbe(name, 'pod-a');
      expect(a.granted).toBe(true);
      if (!a.granted) return;
      expect(a.lease).toMatchObject({ breaker: name, holder: 'pod-a', generation: 2, expiresAt: clock() + 10_000 });
      const b = await target.create(clock).acquireProbe(name, 'pod-b');
      expect(b).toMatchObject({ granted: false, reason: 'held', holder: 'pod-a', expiresAt: a.lease.expiresAt });
      const again = await store.acquireProbe(name, 'pod-a');
      expect(again.granted && again.lease.token).toBe(a.lease.token);
      expect(a.snapshot.probe).toEqual({ holder: 'pod-a', expiresAt: a.lease.expiresAt });
    });

    it('refuses a probe lease unless half-open', async () => {
      const { store, name, register } = setup();
      await register();
      expect(await store.acquireProbe(name, 'pod-a')).toMatchObject({ granted: false, reason: 'not_half_open' });
      await fail(store, name, 'pod-a', 20);
      expect(await store.acquireProbe(name, 'pod-a')).toMatchObject({ granted: false, reason: 'not_half_open' });
    });

    it('closes on probe success and empties the window', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const a = await store.acquireProbe(name, 'pod-a');
      if (!a.granted) throw new Error('expected a lease');
      const r = await store.reportProbe(a.lease, 'success');
      expect(r.accepted).toBe(true);
      expect(r.snapshot).toMatchObject({ state: 'closed', generation: 3, probe: null, window: { failures: 0 } });
    });

    it('needs successThreshold successful probes, one lease at a time', async () => {
      const { clock, store, name, register } = setup({ successThreshold: 2 });
      await register();
      await tripAndCool(store, name, clock);
      const first = await store.acquireProbe(name, 'pod-a');
      if (!first.granted) throw new Error('expected a lease');
      const r1 = await store.reportProbe(first.lease, 'success');
      expect(r1.snapshot).toMatchObject({ state: 'half_open', halfOpenSuccesses: 1, probe: null, generation: 2 });
      const second = await store.acquireProbe(name, 'pod-b');
      if (!second.granted) throw new Error('expected a second lease');
      expect(second.lease.token).not.toBe(first.lease.token);
      expect((await store.reportProbe(first.lease, 'success')).accepted).toBe(false); // used lease
      const r2 = await store.reportProbe(second.lease, 'success');
      expect(r2.snapshot.state).toBe('closed');
    });

    it('re-opens on probe failure and refuses the stale lease afterwards, changing nothing', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const a = await store.acquireProbe(name, 'pod-a');
      if (!a.granted) throw new Error('expected a lease');
      const failed = await store.reportProbe(a.lease, 'failure');
      expect(failed.snapshot).toMatchObject({ state: 'open', generation: 3, probeFailures: 1 });
      clock.advance(60_000);
      const before = await store.snapshot(name);
      expect(before.state).toBe('half_open');
      const stale = await store.reportProbe(a.lease, 'success');
      expect(stale).toMatchObject({ accepted: false, reason: 'stale' });
      expect(stale.snapshot).toEqual(before);
      expect(await store.snapshot(name)).toEqual(before);
    });

    it('lets another pod probe once a lease expires, and refuses the expired holder', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const a = await store.acquireProbe(name, 'pod-a');
      if (!a.granted) throw new Error('expected a lease');
      clock.advance(9_999);
      expect((await store.acquireProbe(name, 'pod-b')).granted).toBe(false);
      clock.advance(1);
      const late = await store.reportProbe(a.lease, 'success');
      expect(late).toMatchObject({ accepted: false, reason: 'expired' });
      expect(late.snapshot.state).toBe('half_open');
      const b = await store.acquireProbe(name, 'pod-b');
      expect(b.granted && b.lease.holder).toBe('pod-b');
      expect(await store.reportProbe(a.lease, 'success')).toMatchObject({ accepted: false, reason: 'stale' });
    });

    /** Trips, then fails `probes` probes in a row; returns every cooldown the breaker was given, ms. */
    async function escalate(store: BreakerStore, name: string, clock: ManualClock, probes: number) {
      const trip = await fail(store, name, 'pod-a', 20);
      const cooldowns = [(trip.snapshot.cooldownUntil as number) - trip.snapshot.at];
      for (let i = 0; i < probes; i++) {
        clock.set(await cooldownEnd(store, name));
        const lease = await store.acquireProbe(name, 'pod-a');
        if (!lease.granted) throw new Error('expected a lease');
        const r = await store.reportProbe(lease.lease, 'failure');
        cooldowns.push((r.snapshot.cooldownUntil as number) - r.snapshot.at);
      }
      return cooldowns;
    }

    it('probes on the default schedule: 1 s after the trip, then 2 s and every 3 s', async () => {
      const { clock, store, name, register } = setup();
      await register();
      expect(await escalate(store, name, clock, 6)).toEqual([1_000, 2_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
      const s = await store.snapshot(name);
      expect(s).toMatchObject({ state: 'open', probeFailures: 6 });
    });

    it('keeps a configured longer cooldown constant when no cap is given', async () => {
      const { clock, store, name, register } = setup({ cooldownMs: 60_000 });
      const { snapshot } = await register();
      expect(snapshot.config).toMatchObject({ cooldownMs: 60_000, maxCooldownMs: 60_000, cooldownMultiplier: 2 });
      expect(await escalate(store, name, clock, 2)).toEqual([60_000, 60_000, 60_000]);
    });

    it('escalates the cooldown on repeated probe failures, up to the cap', async () => {
      const { clock, store, name, register } = setup({
        cooldownMs: 10_000,
        cooldownMultiplier: 2,
        maxCooldownMs: 35_000,
      });
      await register();
      expect(await escalate(store, name, clock, 4)).toEqual([10_000, 20_000, 35_000, 35_000, 35_000]);
      clock.set(await cooldownEnd(store, name));
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      await store.reportProbe(lease.lease, 'success');
      expect((await store.snapshot(name)).probeFailures).toBe(0); // closing forgets the escalation
    });

    it('keeps the escalated cooldown within the cap when jitter is added', async () => {
      const { clock, store, name, register } = setup({
        cooldownMs: 10_000,
        cooldownMultiplier: 2,
        maxCooldownMs: 35_000,
        cooldownJitter: 0.5,
      });
      await register();
      const cooldowns = await escalate(store, name, clock, 4);
      const unjittered = [10_000, 20_000, 35_000, 35_000, 35_000];
      for (const [i, c] of cooldowns.entries()) {
        const base = unjittered[i] as number;
        expect(c, `cooldown ${i}`).toBeGreaterThanOrEqual(base);
        expect(c, `cooldown ${i}`).toBeLessThanOrEqual(Math.min(base * 1.5, 35_000));
      }
      expect(cooldowns.slice(2)).toEqual([35_000, 35_000, 35_000]); // at the cap the jitter has no room
    });

    it('adds bounded jitter to the cooldown', async () => {
      const { store, name, register } = setup({ cooldownMs: 10_000, maxCooldownMs: 600_000, cooldownJitter: 0.5 });
      await register();
      const r = await fail(store, name, 'pod-a', 20);
      const cooldown = (r.snapshot.cooldownUntil as number) - r.snapshot.at;
      expect(cooldown).toBeGreaterThanOrEqual(10_000);
      expect(cooldown).toBeLessThanOrEqual(15_000);
    });

    it('lets a force-open override win over the automatic state until it expires', async () => {
      const { clock, store, name, register } = setup({ cooldownMs: 60_000 }); // still open when the override ends
      await register();
      const forced = await store.forceOpen(name, { reason: 'pusher deploy', actor: 'alice', ttlMs: 10_000 });
      expect(forced).toMatchObject({
        state: 'forced_open',
        automaticState: 'closed',
        generation: 1,
        override: { mode: 'forced_open', reason: 'pusher deploy', actor: 'alice', expiresAt: clock() + 10_000 },
      });
      await fail(store, name, 'pod-a', 20); // the automatic rules keep running underneath
      expect(await store.acquireProbe(name, 'pod-a')).toMatchObject({ granted: false, reason: 'not_half_open' });
      clock.advance(9_999);
      expect((await store.snapshot(name)).state).toBe('forced_open');
      clock.advance(1);
      const after = await store.snapshot(name);
      expect(after).toMatchObject({ state: 'open', automaticState: 'open', override: null });
      const audit = await store.audit(name);
      expect(audit[0]).toMatchObject({ action: 'override_expired', actor: 'system', from: 'forced_open', to: 'open' });
    });

    it('records an override’s expiry at the time it lapsed, not when a later call noticed', async () => {
      const { clock, store, name, register } = setup();
      await register();
      const forced = await store.forceOpen(name, { reason: 'pusher deploy', actor: 'alice', ttlMs: 10_000 });
      const expiresAt = forced.override?.expiresAt as number;
      clock.advance(25_000); // nobody calls until long after the expiry
      const noticed = await store.record(name, 'pod-a', { failures: 0, successes: 1 });
      expect(noticed.snapshot.at).toBe(expiresAt + 15_000);
      expect(noticed.transitions).toEqual([
        expect.objectContaining({ action: 'override_expired', at: expiresAt, generation: forced.generation + 1 }),
      ]);
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({ action: 'override_expired', at: expiresAt });
    });

    it('lets a force-close override hold an open breaker closed, then clears back to automatic', async () => {
      const { store, name, register } = setup();
      await register();
      await fail(store, name, 'pod-a', 20);
      const forced = await store.forceClose(name, { reason: 'false alarm', actor: 'bob', ttlMs: 60_000 });
      expect(forced).toMatchObject({ state: 'forced_closed', automaticState: 'open' });
      const cleared = await store.clearOverride(name, { actor: 'bob', reason: 'done' });
      expect(cleared).toMatchObject({ state: 'open', override: null });
      const gen = cleared.generation;
      const noop = await store.clearOverride(name, { actor: 'bob' });
      expect(noop.generation).toBe(gen); // nothing to clear: no transition, no audit
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({ action: 'clear_override', actor: 'bob' });
    });

    it('a new override replaces the old one and fences an outstanding probe', async () => {
      const { clock, store, name, register } = setup();
      await register();
      await tripAndCool(store, name, clock);
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      await store.forceClose(name, { reason: 'manual', actor: 'carol', ttlMs: 5_000 });
      const replaced = await store.forceOpen(name, { reason: 'changed my mind', actor: 'carol', ttlMs: 5_000 });
      expect(replaced.override?.mode).toBe('forced_open');
      expect(await store.reportProbe(lease.lease, 'success')).toMatchObject({ accepted: false, reason: 'stale' });
    });

    it('reset closes the automatic state and empties the window, keeping an override', async () => {
      const { store, name, register } = setup();
      await register();
      await fail(store, name, 'pod-a', 20);
      await store.forceOpen(name, { reason: 'hold', actor: 'dave', ttlMs: 60_000 });
      const r = await store.reset(name, { actor: 'dave', reason: 'pusher fixed' });
      expect(r).toMatchObject({ state: 'forced_open', automaticState: 'closed', window: { failures: 0 } });
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({
        action: 'reset',
        from: 'open',
        to: 'closed',
        actor: 'dave',
        reason: 'pusher fixed',
      });
    });

    it('in shadow mode computes decisions and lets ordinary outcomes resolve half-open', async () => {
      const { clock, store, name, register } = setup({ mode: 'shadow' });
      await register();
      const tripped = await fail(store, name, 'pod-a', 20);
      expect(tripped.snapshot).toMatchObject({ mode: 'shadow', state: 'open' });
      clock.advance(60_000);
      expect((await fail(store, name, 'pod-a', 1)).snapshot.state).toBe('open'); // failure while half-open
      clock.advance(60_000);
      const closed = await store.record(name, 'pod-b', { failures: 0, successes: 1 });
      expect(closed.snapshot.state).toBe('closed');
      expect(closed.transitions.map((t) => t.action)).toEqual(['half_open', 'close']);
    });

    /**
     * Shadow mode is enforced by nobody: the store has nothing to refuse (every
     * operation answers as in enforce mode), and the pod runtime's allow() says
     * yes whatever the state. What the store owes shadow mode is the decisions:
     * the same trips, cooldowns, generations, leases, overrides and audit as an
     * enforcing twin, every snapshot marked `shadow` so pods know not to obey, and
     * outcomes counted in any state (shadow pods keep calling while open). The one
     * difference: half-open is resolved by ordinary outcomes, which in shadow mode
     * are real calls.
     */
    it('in shadow mode decides exactly as in enforce mode, only marked shadow', async () => {
      const rules = { failureThreshold: 3, cooldownMs: 1_000, cooldownMultiplier: 2 };
      const { clock, store, name } = setup();
      const shadow = `${name}-shadow`;
      await store.register(name, rules);
      await store.register(shadow, { ...rules, mode: 'shadow' });
      const differs = ['name', 'incarnation', 'breaker', 'mode', 'configHash', 'config', 'token', 'id'];
      const decisions = (v: unknown): unknown =>
        JSON.parse(JSON.stringify(v), (k: string, x: unknown) => (differs.includes(k) ? undefined : x));
      /** Runs one call on both breakers; the replies must agree on every decision. */
      const twin = async <T>(call: (n: string) => Promise<T>): Promise<T> => {
        const enforced = await call(name);
        const shadowed = await call(shadow);
        expect(decisions(shadowed)).toEqual(decisions(enforced));
        expect(JSON.stringify(shadowed)).toMatch(/"mode":"shadow"/);
        return shadowed;
      };
      expect((await twin((n) => fail(store, n, 'pod-a', 2))).snapshot.state).toBe('closed');
      expect((await twin((n) => fail(store, n, 'pod-b', 1))).snapshot.state).toBe('open'); // at the threshold
      const counted = await twin((n) => store.record(n, 'pod-a', { failures: 0, successes: 5 }));
      expect(counted.snapshot).toMatchObject({ state: 'open', window: { failures: 3, successes: 5 } });
      expect(await twin((n) => store.acquireProbe(n, 'pod-a'))).toMatchObject({ reason: 'not_half_open' });
      clock.advance(1_000);
      expect((await twin((n) => store.snapshot(n))).state).toBe('half_open');
      const lease = await twin((n) => store.acquireProbe(n, 'pod-a')); // a pod may still probe on purpose
      expect(lease.granted).toBe(true);
      await twin(async (n) => {
        const mine = await store.acquireProbe(n, 'pod-a');
        if (!mine.granted) throw new Error('expected the same lease again');
        return store.reportProbe(mine.lease, 'failure');
      });
      expect((await twin((n) => store.snapshot(n))).cooldownUntil).toBe(clock() + 2_000); // escalated
      await twin((n) => store.forceOpen(n, { reason: 'drill', actor: 'ops', ttlMs: 5_000 }));
      expect((await twin((n) => store.clearOverride(n, { actor: 'ops' }))).state).toBe('open');
      expect(decisions(await store.audit(shadow))).toEqual(decisions(await store.audit(name)));

      clock.advance(2_000); // half-open again: an ordinary success is a real call only in shadow mode
      const [enforced, shadowed] = [
        await store.record(name, 'pod-c', { failures: 0, successes: 1 }),
        await store.record(shadow, 'pod-c', { failures: 0, successes: 1 }),
      ];
      expect(enforced.snapshot.state).toBe('half_open');
      expect(shadowed.snapshot).toMatchObject({ state: 'closed', mode: 'shadow' });
    });

    it('updates the stored config for everyone, audited', async () => {
      const { clock, store, name, register } = setup({ failureThreshold: 5 });
      await register();
      const updated = await store.updateConfig(name, { failureThreshold: 3 }, { actor: 'erin', reason: 'tighter' });
      expect(updated.config.failureThreshold).toBe(3);
      expect((await target.create(clock).register(name, { failureThreshold: 5 })).configDrift).toBe(true);
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({ action: 'config_update', actor: 'erin' });
    });

    it('audits every transition in order, newest first, bounded', async () => {
      const { clock, store, name } = setup({}, { auditMaxLength: 5 });
      await store.register(name, {});
      await fail(store, name, 'pod-a', 20);
      clock.advance(60_000);
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      await store.reportProbe(lease.lease, 'failure');
      const audit = await store.audit(name, { limit: 1_000 });
      expect(audit.map((e) => e.action)).toEqual(['reopen', 'half_open', 'trip']);
      expect(audit.map((e) => e.generation)).toEqual([3, 2, 1]);
      await store.forceOpen(name, { reason: 'r', actor: 'a', ttlMs: 1_000 });
      clock.advance(1_000);
      await store.snapshot(name);
      await store.reset(name, { actor: 'a', reason: 'r' });
      const bounded = await store.audit(name, { limit: 1_000 });
      expect(bounded.map((e) => e.action)).toEqual(['reset', 'override_expired', 'force_open', 'reopen', 'half_open']);
      expect(await store.audit(name, { limit: 2 })).toEqual(bounded.slice(0, 2));
    });

    it('publishes every transition on the channel, with increasing generations', async () => {
      const { clock, store, name, register } = setup();
      await register();
      const listener = target.create(clock);
      const received: BreakerTransition[] = [];
      const sub = await listener.subscribe(name, (t) => received.push(t));
      await fail(store, name, 'pod-a', 20);
      clock.advance(60_000);
      const lease = await store.acquireProbe(name, 'pod-a');
      if (!lease.granted) throw new Error('expected a lease');
      await store.reportProbe(lease.lease, 'success');
      await store.forceOpen(name, { reason: 'drill', actor: 'ops', ttlMs: 1_000 });
      await store.clearOverride(name, { actor: 'ops', reason: 'drill over' });
      const audit = await store.audit(name, { limit: 100 });
      await waitUntil(() => received.length >= audit.length);
      sub.dispose();
      expect(received.map((t) => t.generation)).toEqual([1, 2, 3, 4, 5]);
      expect(received.map((t) => t.action)).toEqual(['trip', 'half_open', 'close', 'force_open', 'clear_override']);
      expect(received.map((t) => t.state)).toEqual(['open', 'half_open', 'closed', 'forced_open', 'closed']);
      expect(received.every((t) => t.name === name)).toBe(true);
      expect(received.map((t) => t.generation)).toEqual(audit.map((e) => e.generation).reverse());
    });

    it('accepts an actor and a reason at their character limits, multibyte ones too', async () => {
      const { store, name, register } = setup();
      await register();
      const actor = '界'.repeat(128); // 384 UTF-8 bytes, within the scripts' 512
      const reason = 'é'.repeat(500); // 1,000 bytes, within 2,000
      const forced = await store.forceOpen(name, { reason, actor, ttlMs: 10_000 });
      expect(forced.override).toMatchObject({ actor, reason });
      expect((await store.reset(name, { actor, reason })).automaticState).toBe('closed');
      expect((await store.audit(name, { limit: 1 }))[0]).toMatchObject({ action: 'reset', actor, reason });
    });

    it('refuses bad input with a typed error and writes nothing', async () => {
      const { store, name, register } = setup();
      await register();
      await fail(store, name, 'pod-a', 3);
      const before = await store.snapshot(name);
      const auditBefore = await store.audit(name);
      const bad: Array<() => Promise<unknown>> = [
        () => store.register('bad name', {}),
        () => store.register('', {}),
        () => store.register('{tag}', {}),
        () => store.register('x'.repeat(65), {}),
        () => store.register(name, { failureThreshold: 0 }),
        () => store.register(name, { windowMs: 30_000, bucketMs: 7_000 }),
        () => store.register(name, { failureRate: { threshold: 0, minimumCalls: 1 } }),
        () => store.register(name, { minFailureRatio: 1.5 }),
        () => store.register(name, { minFailureRatio: -0.5 }),
        () => store.register(name, { minFailureRatio: '0.5' as never }),
        () => store.register(name, { cooldownMs: 5_000, maxCooldownMs: 4_500 }),
        () => store.updateConfig(name, { minFailureRatio: Number.NaN }, { actor: 'a', reason: 'r' }),
        () => store.register(name, { mode: 'sometimes' as never }),
        () => store.register(name, { typo: 1 } as never),
        () => store.record(name, 'pod-a', { failures: -1, successes: 0 }),
        () => store.record(name, 'pod-a', { failures: 1.5, successes: 0 }),
        () => store.record(name, 'pod-a', { failures: Number.NaN, successes: 0 }),
        () => store.record(name, 'pod a', { failures: 1, successes: 0 }),
        () => store.record(name, '', { failures: 1, successes: 0 }),
        () => store.record(name, 'pod-a', { failures: 1, successes: 0, failure: 1 } as never), // a typo
        () => store.record(name, 'pod-a', { failures: 1 } as never),
        () => store.forceOpen(name, { reason: '', actor: 'a', ttlMs: 10_000 }),
        () => store.forceOpen(name, { reason: '   ', actor: 'a', ttlMs: 10_000 }),
        () => store.forceOpen(name, { reason: 'x'.repeat(501), actor: 'a', ttlMs: 10_000 }),
        () => store.forceOpen(name, { reason: 'r', actor: '', ttlMs: 10_000 }),
        () => store.forceOpen(name, { reason: 'r', actor: 'a', ttlMs: 999 }),
        () => store.forceOpen(name, { reason: 'r', actor: 'a', ttlMs: 86_400_001 }),
        () => store.forceClose(name, { reason: 'r', actor: 'a', ttlMs: 1.5e3 + 0.5 }),
        () => store.reset(name, { actor: 'a', reason: '' }),
        () => store.clearOverride(name, { actor: '' }),
        () => store.audit(name, { limit: 0 }),
        () => store.audit(name, { limit: 1_001 }),
        () => store.audit(name, { limt: 5 } as never),
        () => store.reportProbe({ breaker: name, token: '', generation: 1, holder: 'a', expiresAt: 0 }, 'success'),
        () =>
          store.reportProbe(
            { breaker: name, token: '1.1', generation: 1, holder: 'a', expiresAt: 0 },
            'maybe' as never,
          ),
      ];
      for (const call of bad) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isInvalidArgumentError(err), `expected InvalidArgumentError from ${call.toString()}`).toBe(true);
      }
      expect(await store.snapshot(name)).toEqual(before);
      expect(await store.audit(name)).toEqual(auditBefore);
      expect(await store.list()).not.toContain('bad name');
    });

    it('says BreakerNotFoundError for a breaker that does not exist', async () => {
      const { store } = setup();
      for (const call of [
        () => store.snapshot('no-such-breaker'),
        () => store.acquireProbe('no-such-breaker', 'pod-a'),
        () => store.forceOpen('no-such-breaker', { reason: 'r', actor: 'a', ttlMs: 10_000 }),
        () => store.clearOverride('no-such-breaker', { actor: 'a' }),
        () => store.reset('no-such-breaker', { actor: 'a', reason: 'r' }),
        () => store.audit('no-such-breaker'),
      ]) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isBreakerNotFoundError(err)).toBe(true);
      }
      expect(await store.list()).not.toContain('no-such-breaker');
    });
  });
}

async function cooldownEnd(store: BreakerStore, name: string): Promise<number> {
  const s = await store.snapshot(name);
  if (s.cooldownUntil === null) throw new Error(`expected ${name} to be open, was ${s.state}`);
  return s.cooldownUntil;
}
