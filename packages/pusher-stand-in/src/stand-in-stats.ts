import type { PusherCapacityStats } from './capacity-ledger.js';
import type { HandshakeLatencyStats } from './handshake-ledger.js';

/** What the stand-in saw, for tests and the incident replay to count. */
export interface PusherStandInStats {
  /** TCP connections made to the port, refused ones included: every dial. */
  readonly dials: number;
  /** WebSocket handshakes completed: sessions (not `abandonedHandshakes`). */
  readonly connections: number;
  /**
   * Handshakes the stand-in got to accept only after their client had given up (its connect
   * timeout closed the socket while the stand-in was slow to answer): not sessions, not in
   * `connections`, `open` or `closeCodes`. What a starved pusher wastes its time on.
   */
  readonly abandonedHandshakes: number;
  /** Dials reset or rejected by the `refuse` / `reject` faults. */
  readonly refused: number;
  /** Handshakes held unanswered by `hang` with `stallHandshakes`. */
  readonly stalledHandshakes: number;
  /** Handshakes refused for a bad path or query (not `/v1/trigger/listen?uid=…&sample_rate=…`). */
  readonly badRequests: number;
  /** Connections open now. */
  readonly open: number;
  /** Frames received, by opcode (`"100"`…`"105"`), processed or not. */
  readonly framesByOpcode: Readonly<Record<string, number>>;
  /** Frames received that break the protocol. */
  readonly malformedFrames: number;
  /** WebSocket pings received (answered unless the `hang` fault is on). */
  readonly pings: number;
  /** Audio bytes received in 101 frames (after the 8-byte start time). */
  readonly audioBytes: number;
  /** Transcript segments received in 102 frames. */
  readonly transcriptSegments: number;
  /** 104 requests received. */
  readonly conversationRequests: number;
  /** Conversations answered with a 201 success. */
  readonly conversationsProcessed: number;
  /** Close codes of connections the client closed, by code. */
  readonly closeCodes: Readonly<Record<string, number>>;
  /** Handshakes completed, by their `User-Agent` header (`"(none)"` without one). */
  readonly userAgents: Readonly<Record<string, number>>;
  /**
   * How many times each fault actually acted (a dial refused or rejected, a handshake
   * delayed, a connection closed or dropped, a ping or frame left unanswered, a 104
   * answered with an error or garbage), by kind: a test can check that the fault it
   * set was hit, not merely set.
   */
  readonly faultHits: Readonly<Record<string, number>>;
  /**
   * What the capacity did (see {@link PusherStandIn.setCapacity}): its current rate, handshakes it
   * let through, overload refusals by mode and cause, sessions shed, and the same per second.
   */
  readonly capacity: PusherCapacityStats;
  /**
   * How long the stand-in took to answer handshakes, from the upgrade request arriving to
   * the accept (stand-in clock): in total and per second, sessions and abandoned ones.
   */
  readonly handshakeLatency: HandshakeLatencyStats;
}

export function emptyStats(): MutableStats {
  return {
    dials: 0,
    connections: 0,
    abandonedHandshakes: 0,
    refused: 0,
    stalledHandshakes: 0,
    badRequests: 0,
    open: 0,
    framesByOpcode: {},
    malformedFrames: 0,
    pings: 0,
    audioBytes: 0,
    transcriptSegments: 0,
    conversationRequests: 0,
    conversationsProcessed: 0,
    closeCodes: {},
    userAgents: {},
    faultHits: {},
  };
}

/** The stand-in's own counters; `capacity` and `handshakeLatency` are their ledgers', added by `stats()`. */
export type MutableStats = {
  -readonly [K in keyof Omit<PusherStandInStats, 'capacity' | 'handshakeLatency'>]: PusherStandInStats[K];
} & {
  framesByOpcode: Record<string, number>;
  closeCodes: Record<string, number>;
  userAgents: Record<string, number>;
  faultHits: Record<string, number>;
};
