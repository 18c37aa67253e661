import type { FaultKind } from '../faults/schedule.js';
import type { FaultRecord, Recording, RedisSample } from './record.js';

/** The faults that can make a replica the master (a kill or a stop long enough makes the sentinels fail over too). */
const REDIS_FAULT_KINDS: readonly FaultKind[] = [
  'redis-kill-restart',
  'redis-stop-cont',
  'failover-manual',
  'failover-kill',
];

/**
 * The observer saw the breaker go back within one incarnation across a Redis fault: a
 * failover promoted a replica that had not received the last writes (asynchronous
 * replication, see RELIABILITY.md "Lossy failover").
 */
export interface Rollback {
  readonly incarnation: string | undefined;
  /** The generation Redis was at before (the last read before the rollback was seen). */
  readonly fromGeneration: number;
  /**
   * The generation Redis went back to, as far as the observer can tell: the generation it
   * read after the rollback, one less when it read the same generation in another state
   * (every state change bumps the generation, so that one was lost and made again).
   */
  readonly toGeneration: number;
  /** The earliest moment it can have happened: the start of the Redis fault (two masters may answer during one). */
  readonly after: number;
  /** When the last read from before the rollback was answered: reads up to it saw the history that was lost. */
  readonly beforeReadAt: number;
  /** When the first read after it was answered (the observer saw where Redis went back to). */
  readonly seenAt: number;
}

/**
 * Rollbacks the observer saw: two successive reads of the same incarnation where the
 * second has a lower generation, or the same generation in another state, and the gap
 * between them overlaps a Redis fault. Without such a fault a breaker's generation
 * never goes back, so nothing outside one is taken for a rollback (a checker that
 * excused it would hide a fencing bug).
 */
export function seenRollbacks(rec: Recording): Rollback[] {
  const out: Rollback[] = [];
  const redisFaults = rec.faults.filter((f) => REDIS_FAULT_KINDS.includes(f.spec.kind));
  let prev: RedisSample | undefined;
  for (const s of [...rec.redis].sort((a, b) => a.sentAt - b.sentAt)) {
    if (s.key === 'absent') continue;
    if (prev && prev.incarnation === s.incarnation) {
      const back = s.generation < prev.generation;
      const redone = s.generation === prev.generation && s.key !== prev.key;
      const fault = back || redone ? faultDuring(redisFaults, prev.sentAt, s.recvAt) : undefined;
      if (fault) {
        out.push({
          incarnation: s.incarnation,
          fromGeneration: prev.generation,
          toGeneration: back ? s.generation : s.generation - 1,
          after: fault.startAt,
          beforeReadAt: prev.recvAt,
          seenAt: s.recvAt,
        });
      }
    }
    prev = s;
  }
  return out;
}

/** The latest Redis fault whose [start, heal] overlaps [from, to] (a fault not healed yet lasts to the end). */
function faultDuring(faults: readonly FaultRecord[], from: number, to: number): FaultRecord | undefined {
  let found: FaultRecord | undefined;
  for (const f of faults) {
    const healAt = f.healAt || Number.POSITIVE_INFINITY;
    if (f.startAt <= to && healAt >= from && (!found || f.startAt > found.startAt)) found = f;
  }
  return found;
}
