// What the page says about one breaker at a moment: pure, so the unit tests run it under Node.

import { formatRemaining, formatTime, stateLabel } from './format.js';

/** @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot */

/**
 * @typedef {object} BreakerView
 * @property {string} state          the state callers obey, as text
 * @property {string} automatic      the automatic state when an override masks it, else ''
 * @property {string} window         failures / successes in the window
 * @property {string} failingPods
 * @property {string} probe          the probe lease holder and the lease's time left, or `none`
 * @property {string} cooldown       time left until half-open, or `none`
 * @property {string} override       `forced open by olga, 4m 05s left`, or `automatic`
 * @property {string} reason         the override's reason, or ''
 * @property {number | null} nextDeadline  the nearest deadline still ahead or just passed (store clock)
 */

/**
 * @param {BreakerSnapshot} b
 * @param {number} now  the store's clock now (see storeNow)
 * @returns {BreakerView}
 */
export function viewBreaker(b, now) {
  const deadlines = [b.override?.expiresAt, b.cooldownUntil, b.probe?.expiresAt].filter(
    /** @returns {d is number} */ (d) => typeof d === 'number',
  );
  return {
    state: stateLabel(b.state),
    automatic: b.override ? `automatic: ${stateLabel(b.automaticState)}` : '',
    window: `${b.window.failures} failed / ${b.window.successes} ok`,
    failingPods: String(b.window.failingPods),
    probe: b.probe ? `${b.probe.holder}, ${formatRemaining(b.probe.expiresAt - now)}` : 'none',
    cooldown: b.cooldownUntil === null ? 'none' : formatRemaining(b.cooldownUntil - now),
    override: b.override
      ? `${stateLabel(b.override.mode)} by ${b.override.actor}, ${remainingText(b.override.expiresAt - now)}`
      : 'automatic',
    reason: b.override?.reason ?? '',
    nextDeadline: deadlines.length === 0 ? null : Math.min(...deadlines),
  };
}

/** @param {number} ms */
function remainingText(ms) {
  return ms > 0 ? `${formatRemaining(ms)} left` : 'expiring';
}

/**
 * The facts of the detail panel, label → text.
 * @param {BreakerSnapshot} b
 * @param {number} now  the store's clock now
 * @returns {[string, string][]}
 */
export function breakerFacts(b, now) {
  const v = viewBreaker(b, now);
  const c = b.config;
  /** @type {[string, string][]} */
  const facts = [
    ['State', b.override ? `${v.state} (${v.automatic})` : v.state],
    ['Generation', String(b.generation)],
    ['Window', `${v.window} in the last ${Math.round(c.windowMs / 1000)}s; trips at ${c.failureThreshold} failures`],
    ['Failing pods', v.failingPods],
    ['Probe lease', b.probe ? `${b.probe.holder} until ${formatTime(b.probe.expiresAt)}` : 'none'],
    [
      'Cooldown',
      b.cooldownUntil === null
        ? 'none'
        : `until ${formatTime(b.cooldownUntil)} (${formatRemaining(b.cooldownUntil - now)})`,
    ],
  ];
  if (b.openedAt !== null) facts.push(['Opened at', formatTime(b.openedAt)]);
  if (b.override) {
    facts.push(
      ['Override', `${stateLabel(b.override.mode)} by ${b.override.actor} since ${formatTime(b.override.setAt)}`],
      ['Override ends', `${formatTime(b.override.expiresAt)} (${remainingText(b.override.expiresAt - now)})`],
      ['Override reason', b.override.reason],
    );
  } else {
    facts.push(['Override', 'none: automatic']);
  }
  if (b.mode === 'shadow') facts.push(['Mode', 'shadow: computed and published, never enforced']);
  facts.push(['Snapshot taken', formatTime(b.at)]);
  return facts;
}
