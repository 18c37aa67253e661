import {
  type AuditEntry,
  type BreakerSnapshot,
  type BreakerStore,
  type BreakerTransition,
  isBreakerNotFoundError,
} from '@breakwater/breaker-core';
import type { ReadyEventBody, TransitionEventBody } from '../client/stream-event-types.js';
import { compareAuditIds, type EventCursor, formatCursor, missedSince } from './event-cursor.js';
import { type StreamEventName, sseEvent } from './sse-frame.js';

export function transitionBody(
  t: BreakerTransition,
  snapshot: BreakerSnapshot | null,
  replayed: boolean,
): TransitionEventBody {
  return {
    transition: {
      name: t.name,
      action: t.action,
      from: t.from,
      to: t.to,
      state: t.state,
      generation: t.generation,
      at: t.at,
      actor: t.actor,
      reason: t.reason,
      overrideExpiresAt: t.overrideExpiresAt,
    },
    snapshot,
    replayed,
  };
}

function replayedBody(name: string, e: AuditEntry): TransitionEventBody {
  const { action, from, to, generation, at, actor, reason } = e;
  return {
    transition: { name, action, from, to, state: null, generation, at, actor, reason, overrideExpiresAt: null },
    snapshot: null,
    replayed: true,
  };
}

export interface OpeningFrame {
  readonly frame: string;
  readonly event: StreamEventName;
}

/** Snapshot reads (and audit reads) at once while opening a stream: bounds the load of one connect. */
export const OPENING_CONCURRENCY = 16;

/**
 * A stream's first events: on a reconnect, the transitions missed since
 * `cursor` (from each breaker's audit log, oldest first), then a `snapshot` of
 * every breaker in scope, then `ready`, whose id is the newest audit entry of
 * them all (so a client that reconnects after seeing no transition still
 * resumes from here). A breaker that vanished meanwhile is left out; for a
 * `?name=` stream that is BreakerNotFoundError, as for `GET /v1/breakers/:name`.
 */
export async function openingEvents(
  store: BreakerStore,
  scope: { names: readonly string[]; truncated: boolean; single: boolean },
  cursor: EventCursor | undefined,
  bounds: { maxReplayPerBreaker: number; heartbeatMs: number },
): Promise<OpeningFrame[]> {
  const limit = cursor ? bounds.maxReplayPerBreaker : 1;
  const read = await mapBounded(scope.names, OPENING_CONCURRENCY, async (name) => {
    try {
      const snapshot = await store.snapshot(name);
      const audit = await store.audit(name, { limit });
      return { name, snapshot, audit };
    } catch (err) {
      if (isBreakerNotFoundError(err) && !scope.single) return undefined; // its keys expired since the list
      throw err;
    }
  });
  const breakers = read.filter((r) => r !== undefined);
  const replay: { name: string; entry: AuditEntry }[] = [];
  const gaps: string[] = [];
  let newest: { id: string; name: string } | undefined;
  for (const { name, audit } of breakers) {
    const latest = audit[0];
    if (latest && (!newest || compareAuditIds(latest.id, newest.id) > 0)) newest = { id: latest.id, name };
    if (!cursor) continue;
    const missed = audit.filter((e) => missedSince(cursor, name, e.id));
    // Every entry read is missed and the read was full: older missed ones may be beyond it.
    if (missed.length === limit) gaps.push(name);
    else for (const entry of missed) replay.push({ name, entry });
  }
  replay.sort((a, b) => compareAuditIds(a.entry.id, b.entry.id) || (a.name < b.name ? -1 : 1));
  const frames: OpeningFrame[] = replay.map(({ name, entry }) => ({
    frame: sseEvent('transition', replayedBody(name, entry), formatCursor(entry.id, name)),
    event: 'transition',
  }));
  for (const { snapshot } of breakers) frames.push({ frame: sseEvent('snapshot', snapshot), event: 'snapshot' });
  // The newest position this stream has covered: the newest entry read, or the client's own cursor if later.
  let readyId: string | undefined;
  if (newest && (!cursor || missedSince(cursor, newest.name, newest.id))) {
    readyId = formatCursor(newest.id, newest.name);
  } else if (cursor) {
    readyId = formatCursor(`${cursor.ms}-${cursor.seq}`, cursor.name);
  }
  const ready: ReadyEventBody = {
    breakers: breakers.map((b) => b.name),
    truncated: scope.truncated,
    resumed: cursor !== undefined,
    gaps,
    heartbeatMs: bounds.heartbeatMs,
  };
  frames.push({ frame: sseEvent('ready', ready, readyId), event: 'ready' });
  return frames;
}

async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
