import { inAny, rejoining } from './divergence.js';
import {
  type FaultRecord,
  type PodView,
  PROXY_STALLED,
  PROXY_STALLED_PAST_DEADLINE,
  type Recording,
} from './record.js';
import { covered } from './stats.js';

/**
 * How long after a fault is healed every pod agrees with Redis, by the path back: the
 * pod reconnecting (its reconnect backoff, capped at `reconnectMaxDelayMs`, 2 s by
 * default, plus the connect), then at most the divergence limit. A fault whose fleet
 * does not agree within this is a violation.
 */
export function convergenceLimitMs(reconnectMaxDelayMs: number, connectMs: number, divergenceLimitMs: number): number {
  return reconnectMaxDelayMs + connectMs + divergenceLimitMs;
}

const NOT_RUNNING_IN_TIME = new Set(['slow path', 'frozen', 'busy loop', PROXY_STALLED, PROXY_STALLED_PAST_DEADLINE]);

/**
 * The first observer read at or after the heal at which every live pod (its process running,
 * its path answering within the deadline, not stalled, not rejoining after a slow path) holds what Redis holds; undefined if none before `until`.
 */
export function convergedAt(
  rec: Recording,
  fault: FaultRecord,
  until: number,
  rejoinGraceMs: number,
): number | undefined {
  const samples = rec.redis.filter((s) => s.at >= fault.healAt && s.at <= until).sort((a, b) => a.at - b.at);
  const pods = [...rec.views.keys()];
  const sorted = new Map(pods.map((p) => [p, [...(rec.views.get(p) ?? [])].sort((a, b) => a.at - b.at)]));
  for (const s of samples) {
    let all = true;
    for (const p of pods) {
      if (!inAny(rec.lives.get(p) ?? [], s.at)) continue;
      // A pod that cannot answer in time (its path slow, its loop held) is not one that can agree.
      if (
        inAny(
          (rec.windows.get(p) ?? []).filter((w) => NOT_RUNNING_IN_TIME.has(w.why)),
          s.at,
        )
      )
        continue;
      const v = lastAtOrBefore(sorted.get(p) ?? [], s.at);
      // Nor one rejoining after a slow path (see divergence.ts).
      if (v && rejoining([...(rec.windows.get(p) ?? []), ...(rec.stalls ?? [])], s.at, v.key, rejoinGraceMs)) continue;
      if (v?.key !== s.key) {
        all = false;
        break;
      }
    }
    if (all) return s.at;
  }
  return undefined;
}

/** How much of [from, to) the orchestrator's stall windows cover (merged, so overlaps count once). */
export function stalledWithin(rec: Recording, from: number, to: number): number {
  return covered(rec.stalls ?? [], from, to);
}

function lastAtOrBefore(views: readonly PodView[], at: number): PodView | undefined {
  let lo = 0;
  let hi = views.length - 1;
  let found: PodView | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = views[mid] as PodView;
    if (v.at <= at) {
      found = v;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
