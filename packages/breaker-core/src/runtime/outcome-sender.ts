import type { BreakerMetrics } from '../metrics.js';
import type { RecordReply } from '../store/breaker-store.js';
import type { MemoryBreakerStore } from '../store/memory-store.js';
import type { ViewSource } from './breaker-events.js';
import type { RepeatLog } from './repeat-log.js';
import type { StoreFailover } from './store-failover.js';
import type { ViewFollower } from './view-follower.js';

export interface OutcomeSenderParts {
  readonly name: string;
  readonly podId: string;
  readonly failover: StoreFailover;
  readonly follower: ViewFollower;
  readonly local: MemoryBreakerStore;
  readonly storm: RepeatLog;
  readonly metrics: BreakerMetrics | undefined;
}

/**
 * Where one batch of outcomes goes: one record call to the store the pod
 * follows. If the shared call fails or times out the pod falls back and the
 * same outcomes feed the local breaker, so none is lost. The reply refreshes
 * the view; each call is timed by store (`flush_duration_seconds{store}`).
 * The returned function never rejects: it is the OutcomeBatcher's `send`.
 */
export function outcomeSender(p: OutcomeSenderParts): (failures: number, successes: number) => Promise<void> {
  const observe = (store: ViewSource, started: bigint) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    p.metrics?.flushDuration.observe({ breaker: p.name, store }, seconds);
  };
  const adopt = (reply: RecordReply, source: ViewSource) => {
    const cause = reply.transitions.at(-1)?.action ?? 'resync';
    p.follower.apply(reply.snapshot, source, cause, { authoritative: reply.created });
    if (source === 'shared') p.failover.noteDrift(reply.configDrift, reply.snapshot.configHash);
  };

  return async (failures, successes) => {
    if (p.metrics) {
      if (failures > 0) p.metrics.calls.inc({ breaker: p.name, outcome: 'failure' }, failures);
      if (successes > 0) p.metrics.calls.inc({ breaker: p.name, outcome: 'success' }, successes);
    }
    const outcomes = { failures, successes };
    try {
      // Mid-rejoin the local window has been read: these go wherever the rejoin leaves the pod.
      const rejoining = p.failover.rejoining;
      if (rejoining) await rejoining;
      if (p.failover.source === 'shared') {
        const started = process.hrtime.bigint();
        try {
          const reply = await p.failover.call('record', (s) => s.record(p.name, p.podId, outcomes));
          observe('shared', started);
          adopt(reply, 'shared');
          return;
        } catch (err) {
          observe('shared', started);
          if (!p.follower.degrade(err)) return;
        }
      }
      const started = process.hrtime.bigint();
      const reply = await p.local.record(p.name, p.podId, outcomes);
      observe('local', started);
      adopt(reply, 'local');
    } catch (err) {
      p.storm.warn('flush', p.podId, { err }, 'could not record outcomes');
    }
  };
}
