// Types of what the page reads from the API, for `checkJs` (tsconfig.ui.json). Mirrors the
// schemas in ../schemas/: the page is plain JavaScript and does not import server code.

export type BreakerState = 'closed' | 'open' | 'half_open' | 'forced_open' | 'forced_closed';
export type Role = 'viewer' | 'operator';

export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  automaticState: 'closed' | 'open' | 'half_open';
  generation: number;
  mode: 'enforce' | 'shadow';
  window: { failures: number; successes: number; failingPods: number };
  openedAt: number | null;
  cooldownUntil: number | null;
  probeFailures: number;
  halfOpenSuccesses: number;
  probe: { holder: string; expiresAt: number } | null;
  override: {
    mode: 'forced_open' | 'forced_closed';
    reason: string;
    actor: string;
    setAt: number;
    expiresAt: number;
  } | null;
  configHash: string;
  config: { windowMs: number; failureThreshold: number; cooldownMs: number; mode: 'enforce' | 'shadow' };
  /** The store's clock when the snapshot was taken, ms since epoch. */
  at: number;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  from: BreakerState;
  to: BreakerState;
  generation: number;
  reason: string;
}

export interface Principal {
  name: string;
  role: Role;
}

/** `GET /v1/events` (see the package README, "The event stream"). */
export interface TransitionEvent {
  transition: {
    name: string;
    action: string;
    from: BreakerState;
    to: BreakerState;
    /** null when replayed from the audit log. */
    state: BreakerState | null;
    generation: number;
    at: number;
    actor: string;
    reason: string;
    overrideExpiresAt: number | null;
  };
  /** The breaker read right after; null when replayed or when that read failed. */
  snapshot: BreakerSnapshot | null;
  /** Sent from the audit log on a reconnect (Last-Event-ID), not live. */
  replayed: boolean;
}

export interface ReadyEvent {
  breakers: string[];
  truncated: boolean;
  resumed: boolean;
  gaps: string[];
  heartbeatMs: number;
}

export interface RemovedEvent {
  name: string;
}
