import { BREAKER_NAME_PATTERN } from '@breakwater/breaker-core';

/**
 * Where a client is in the breakers' audit logs: the audit entry id of the last
 * transition it got, and that transition's breaker, as the SSE `id` sends it:
 * `1764612345678-0:pusher`. Audit ids are Redis stream ids (`<ms>-<seq>`, ms on
 * the store's clock), so one cursor orders every breaker on one Redis.
 */
export interface EventCursor {
  readonly ms: number;
  readonly seq: number;
  readonly name: string;
}

const AUDIT_ID = /^(\d{1,16})-(\d{1,16})$/;

/** `<ms>-<seq>` → numbers, or undefined when it is not an audit id. */
export function parseAuditId(id: string): { ms: number; seq: number } | undefined {
  const m = AUDIT_ID.exec(id);
  if (!m) return undefined;
  const ms = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? { ms, seq } : undefined;
}

/** Orders two audit ids (`<ms>-<seq>`): negative, zero or positive. Unparsable ones sort first. */
export function compareAuditIds(a: string, b: string): number {
  const x = parseAuditId(a) ?? { ms: -1, seq: -1 };
  const y = parseAuditId(b) ?? { ms: -1, seq: -1 };
  return x.ms - y.ms || x.seq - y.seq;
}

export function formatCursor(auditId: string, name: string): string {
  return `${auditId}:${name}`;
}

/** The cursor of a `Last-Event-ID` header, or undefined when it is not one of ours (then the client starts afresh). */
export function parseCursor(text: string | undefined): EventCursor | undefined {
  if (text === undefined || text.length > 200) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const id = parseAuditId(text.slice(0, colon));
  const name = text.slice(colon + 1);
  if (!id || !BREAKER_NAME_PATTERN.test(name)) return undefined;
  return { ...id, name };
}

/**
 * Whether the audit entry `id` of breaker `name` may be one the client holding
 * `cursor` has not had: after the cursor on the cursor's own breaker; on any
 * other breaker, anything from the cursor's millisecond on (two breakers' logs
 * can both hold `<ms>-0`, so within that millisecond the order is unknown and
 * the entry is replayed: clients drop what they already hold by name and
 * generation).
 */
export function missedSince(cursor: EventCursor, name: string, id: string): boolean {
  const at = parseAuditId(id);
  if (!at) return false;
  if (name === cursor.name) return at.ms > cursor.ms || (at.ms === cursor.ms && at.seq > cursor.seq);
  return at.ms >= cursor.ms;
}
