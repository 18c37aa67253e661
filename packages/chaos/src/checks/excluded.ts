import { readFileSync } from 'node:fs';
import type { Recording } from './record.js';
import { covered } from './stats.js';

export interface Excluded {
  /** Pod-seconds alive in all. */
  readonly podSeconds: number;
  /** Pod-seconds alive in which divergence was not judged, whatever the reason (overlaps once). */
  readonly notJudgedPodSeconds: number;
  /** Per reason a pod did not reach Redis: stretches and pod-seconds (overlaps counted in each). */
  readonly byReason: Record<string, { readonly windows: number; readonly podSeconds: number }>;
}

/**
 * How much pod time divergence was not judged, and why: the faults (until the pod
 * answered again), pod stalls, and slow paths (the pod's probe connection not answering
 * within the breaker's deadline). Reported beside the divergence figures.
 */
export function excludedTime(rec: Recording, end: number): Excluded {
  let alive = 0;
  for (const lives of rec.lives.values()) for (const l of lives) alive += Math.min(l.to, end) - l.from;
  const byReason: Record<string, { windows: number; podSeconds: number }> = {};
  for (const windows of rec.windows.values()) {
    for (const w of windows) {
      const r = byReason[w.why] ?? { windows: 0, podSeconds: 0 };
      byReason[w.why] = r;
      r.windows++;
      r.podSeconds += (Math.min(w.to, end) - w.from) / 1000;
    }
  }
  // The orchestrator's stalls hold every live pod; and the union of every reason, per pod.
  let notJudged = 0;
  for (const [podId, lives] of rec.lives) {
    const mine = [...(rec.windows.get(podId) ?? []), ...(rec.stalls ?? [])];
    for (const l of lives) {
      const to = Math.min(l.to, end);
      for (const w of rec.stalls ?? []) {
        const ms = Math.min(w.to, to) - Math.max(w.from, l.from);
        if (ms <= 0) continue;
        const r = byReason[w.why] ?? { windows: 0, podSeconds: 0 };
        byReason[w.why] = r;
        r.windows++;
        r.podSeconds += ms / 1000;
      }
      notJudged += covered(mine, l.from, to);
    }
  }
  for (const r of Object.values(byReason)) r.podSeconds = Math.round(r.podSeconds);
  return { podSeconds: Math.round(alive / 1000), notJudgedPodSeconds: Math.round(notJudged / 1000), byReason };
}

/** A recording written with CHAOS_DUMP, read back; `end` is its last observer read. */
export function loadRecording(file: string): { rec: Recording; end: number } {
  const raw = JSON.parse(readFileSync(file, 'utf8'), (_k, v) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v));
  const rec = {
    ...raw,
    views: new Map(Object.entries(raw.views)),
    windows: new Map(Object.entries(raw.windows)),
    lives: new Map(Object.entries(raw.lives)),
    stats: new Map(Object.entries(raw.stats)),
    killedHolders: new Set(raw.killedHolders),
    stalls: raw.stalls ?? [],
  } as unknown as Recording;
  const end = (raw.redis as { recvAt: number }[]).reduce((m, r) => Math.max(m, r.recvAt), 0);
  return { rec, end };
}
