// Pure formatting and parsing for the page: no DOM, so the unit tests run it under Node.

/** @typedef {import('./types.d.ts').BreakerState} BreakerState */

/** What each state is called on the page (the colour is never the only sign). */
export const STATE_LABELS = Object.freeze({
  closed: 'closed',
  open: 'open',
  half_open: 'half-open',
  forced_open: 'forced open',
  forced_closed: 'forced closed',
});

/** @param {string} state */
export function stateLabel(state) {
  return Object.hasOwn(STATE_LABELS, state) ? STATE_LABELS[/** @type {BreakerState} */ (state)] : state;
}

/** Audit actions as a person says them. */
const ACTION_LABELS = Object.freeze({
  trip: 'tripped',
  half_open: 'half-opened',
  close: 'closed',
  reopen: 'reopened',
  force_open: 'forced open',
  force_close: 'forced closed',
  clear_override: 'override cleared',
  override_expired: 'override expired',
  reset: 'reset',
  config_update: 'config updated',
});

/** @param {string} action */
export function actionLabel(action) {
  return Object.hasOwn(ACTION_LABELS, action)
    ? ACTION_LABELS[/** @type {keyof typeof ACTION_LABELS} */ (action)]
    : action;
}

/** The API's TTL bounds (src/limits.ts), seconds. */
export const MIN_TTL_SECONDS = 10;
export const MAX_TTL_SECONDS = 86_400;

const UNIT_SECONDS = Object.freeze({ s: 1, m: 60, h: 3_600, d: 86_400 });

/**
 * A TTL as an SRE types it, as the CLI reads `--ttl`: `90` (seconds), `90s`,
 * `15m`, `2h`, `1h30m` → whole seconds, or undefined when it is not one.
 * @param {string} text
 * @returns {number | undefined}
 */
export function parseTtlSeconds(text) {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+[smhd])+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) {
    total += Number(amount) * UNIT_SECONDS[/** @type {keyof typeof UNIT_SECONDS} */ (unit)];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * 900 → `15m`, 5400 → `1h 30m`, 75 → `1m 15s`.
 * @param {number} seconds
 */
export function formatSeconds(seconds) {
  let rest = Math.max(0, Math.floor(seconds));
  if (rest === 0) return '0s';
  /** @type {string[]} */
  const parts = [];
  for (const [unit, size] of /** @type {const} */ ([
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ])) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

/**
 * Time left until a deadline, rounded up to the second so a countdown never shows
 * `0s` while the deadline is still ahead: `4m 05s`, `12s`, or `due`.
 * @param {number} ms
 */
export function formatRemaining(ms) {
  if (ms <= 0) return 'due';
  const total = Math.ceil(ms / 1_000);
  const h = Math.floor(total / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/**
 * ms since epoch → `2026-01-31 14:05:11Z` (UTC to the second, as incident timelines are kept).
 * @param {number} ms
 */
export function formatTime(ms) {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The store's clock now, estimated from a snapshot: its `at` is the store's time when it
 * was taken, and the page's own clock measures only the time since it arrived. The
 * store's clock (Redis TIME) and the browser's may disagree by minutes; elapsed time
 * on one clock does not depend on that.
 * @param {{ at: number }} snapshot
 * @param {number} receivedAt page clock (performance.now()) when the snapshot arrived
 * @param {number} pageNow page clock now
 */
export function storeNow(snapshot, receivedAt, pageNow) {
  return snapshot.at + Math.max(0, pageNow - receivedAt);
}

/**
 * Which of two snapshots of one breaker is newer: the higher generation (every
 * transition bumps it), and at one generation the later `at` (window counts change
 * without a transition).
 * @param {{ generation: number, at: number }} candidate
 * @param {{ generation: number, at: number } | undefined} current
 */
export function isNewer(candidate, current) {
  if (current === undefined) return true;
  if (candidate.generation !== current.generation) return candidate.generation > current.generation;
  return candidate.at >= current.at;
}
