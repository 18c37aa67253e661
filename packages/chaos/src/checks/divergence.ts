import {
  APPARATUS_STALLED_PAST_DEADLINE,
  type PodView,
  PROXY_STALLED_PAST_DEADLINE,
  type Recording,
  type Window,
} from './record.js';

/** Windows after which a pod on its local fallback is rejoining: its calls timed out in them. */
const REJOIN_AFTER = new Set(['slow path', APPARATUS_STALLED_PAST_DEADLINE, PROXY_STALLED_PAST_DEADLINE]);

/** Longest divergence allowed for a pod that reaches Redis (issue 12's "done when"). */
export const DIVERGENCE_LIMIT_MS = 2_000;

export interface DivergenceEpisode {
  readonly podId: string;
  readonly from: number;
  readonly ms: number;
  readonly pod: string;
  readonly redis: string;
}

/**
 * Divergence, measured on the observer's reads of Redis: at each read (its midpoint in
 * time), every pod that is alive and reaches Redis (outside its windows) is compared with
 * what Redis held, by state, generation and incarnation, using the last view the pod
 * reported at or before that instant (pods report each change with their own clock; one
 * host, one clock). An episode runs from the first read a pod disagrees with to the first
 * read it agrees with again (or to the start of a window: the pod no longer reaches
 * Redis). Its length is quantised by the observer's read interval, and a transition is
 * placed within half the read's round trip; reads slower than `maxRttMs` are not used. When
 * the pod stopped reaching Redis between two usable reads, an open episode ends where that
 * began, and one seen after it counts from the end of that stretch (the conservative side).
 * A pod on its local fallback just after a slow path is rejoining (see `rejoining`).
 * Between two usable reads of the same key, the pod's own reports place the episode's end
 * (a view of that key) and the next one's start (a view that left it).
 */
export function divergenceEpisodes(rec: Recording, maxRttMs: number, rejoinGraceMs: number): DivergenceEpisode[] {
  const samples = rec.redis.filter((s) => s.recvAt - s.sentAt <= maxRttMs).sort((a, b) => a.at - b.at);
  const out: DivergenceEpisode[] = [];
  for (const [podId, views] of rec.views) {
    const sortedViews = [...views].sort((a, b) => a.at - b.at);
    // The orchestrator's stalls (its proxies held every pod's traffic) count as every pod's windows.
    const windows = [...(rec.windows.get(podId) ?? []), ...(rec.stalls ?? [])];
    const lives = rec.lives.get(podId) ?? [];
    let vi = -1;
    let open: { from: number; pod: string; redis: string } | undefined;
    const close = (at: number) => {
      if (open) out.push({ podId, from: open.from, ms: at - open.from, pod: open.pod, redis: open.redis });
      open = undefined;
    };
    let prevAt = Number.NEGATIVE_INFINITY;
    let prevKey: string | undefined;
    for (const s of samples) {
      const viPrev = vi;
      while (vi + 1 < sortedViews.length && (sortedViews[vi + 1] as PodView).at <= s.at) vi++;
      const reaches = inAny(lives, s.at) && !inAny(windows, s.at) && vi >= 0;
      // A stretch without a usable read can hide a window: an episode ends where the pod
      // stopped reaching Redis, and one seen after it is counted from the window's end.
      const between = windows.filter((w) => w.from < s.at && w.to > prevAt);
      let restartAt: number | undefined;
      if (open && between.length > 0) {
        close(Math.max(open.from, Math.min(...between.map((w) => w.from))));
        restartAt = Math.max(...between.map((w) => w.to));
      }
      const sameRedis = prevKey === s.key;
      prevAt = s.at;
      prevKey = s.key;
      if (!reaches) {
        close(s.at);
        continue;
      }
      const view = (sortedViews[vi] as PodView).key;
      if (rejoining(windows, s.at, view, rejoinGraceMs)) {
        close(s.at);
        continue;
      }
      // Two usable reads of the same key bound a stretch in which Redis held that key (each
      // change moves the generation or the incarnation): a view of it the pod reported in
      // between (reads slower than maxRttMs left out) ended the episode there; a later
      // view that left it again starts the next one there.
      if (open && sameRedis) {
        let j = viPrev + 1;
        while (j <= vi && (sortedViews[j] as PodView).key !== s.key) j++;
        if (j <= vi) {
          close(Math.max(open.from, (sortedViews[j] as PodView).at));
          for (let k = j + 1; k <= vi; k++) {
            const w = sortedViews[k] as PodView;
            if (w.key === s.key) close(w.at);
            else if (!open) open = { from: w.at, pod: w.key, redis: s.key };
          }
          continue;
        }
      }
      if (view === s.key) close(s.at);
      else if (!open) open = { from: Math.min(s.at, restartAt ?? s.at), pod: view, redis: s.key };
    }
    if (open) close(samples.at(-1)?.at ?? open.from);
  }
  return out;
}

/**
 * After a slow path, or an orchestrator stall past the deadline (the pod's probe connection late: the breaker's own call timed out too,
 * or soon would) the breaker is on its local fallback with its connection dropped, and
 * rejoins on the reconnect's `ready`: within the reconnect backoff cap plus the connect
 * (`graceMs`), as after a heal. A pod whose view is local (a local incarnation, `m<n>`)
 * within `graceMs` of the end of one of its slow-path windows is rejoining, not diverging;
 * a pod back on the shared breaker is judged at once.
 */
export function rejoining(windows: readonly Window[], at: number, viewKey: string, graceMs: number): boolean {
  if (!isLocalView(viewKey)) return false;
  for (const w of windows) if (REJOIN_AFTER.has(w.why) && w.to <= at && at < w.to + graceMs) return true;
  return false;
}

/** A view of the pod's local fallback: its incarnation is a local one (`m<n>`, MemoryBreakerStore). */
export function isLocalView(key: string): boolean {
  return /\/m\d+$/.test(key);
}

export function inAny(windows: readonly Window[], at: number): boolean {
  for (const w of windows) if (w.from <= at && at < w.to) return true;
  return false;
}
