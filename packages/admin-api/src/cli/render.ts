import type { AuditEntry, BreakerSnapshot } from '@breakwater/breaker-core';
import { formatDuration } from './duration.js';
import { formatTable } from './table.js';

/** ms since epoch → `2025-01-31T12:00:00Z` (UTC, to the second: what incident timelines use). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A time relative to the snapshot's own clock (the store's, not this machine's). */
function until(ms: number, now: number): string {
  return ms > now ? `${formatTime(ms)} (in ${formatDuration(ms - now)})` : `${formatTime(ms)} (due)`;
}

export function renderBreakerList(breakers: readonly BreakerSnapshot[], truncated: boolean): string {
  if (breakers.length === 0) return 'no breakers';
  const table = formatTable(
    ['NAME', 'STATE', 'GEN', 'FAILURES', 'SUCCESSES', 'OVERRIDE UNTIL', 'BY', 'COOLDOWN UNTIL'],
    breakers.map((b) => [
      b.name,
      b.state,
      String(b.generation),
      String(b.window.failures),
      String(b.window.successes),
      b.override ? formatTime(b.override.expiresAt) : '-',
      b.override ? b.override.actor : '-',
      b.cooldownUntil === null ? '-' : formatTime(b.cooldownUntil),
    ]),
  );
  return truncated ? `${table}\n(more breakers exist than the server lists at once)` : table;
}

export function renderSnapshot(b: BreakerSnapshot): string {
  const c = b.config;
  const rows: [string, string][] = [
    ['name', b.name],
    ['state', b.state === b.automaticState ? b.state : `${b.state} (automatic: ${b.automaticState})`],
    ['generation', String(b.generation)],
    ['mode', b.mode],
    [
      'window',
      `${b.window.failures} failures, ${b.window.successes} successes, ${b.window.failingPods} failing pod(s) in ${formatDuration(c.windowMs)}`,
    ],
    ['cooldown until', b.cooldownUntil === null ? '-' : until(b.cooldownUntil, b.at)],
    ['probe lease', b.probe ? `${b.probe.holder} until ${until(b.probe.expiresAt, b.at)}` : '-'],
    [
      'override',
      b.override
        ? `${b.override.mode} by ${b.override.actor} until ${until(b.override.expiresAt, b.at)}: ${b.override.reason}`
        : '-',
    ],
    [
      'rules',
      `trip at ${c.failureThreshold} failures` +
        (c.minFailureRatio > 0 ? ` (≥${percent(c.minFailureRatio)} of calls)` : '') +
        ` in ${formatDuration(c.windowMs)}` +
        (c.failureRate ? ` or ${c.failureRate.threshold * 100}% of ≥${c.failureRate.minimumCalls} calls` : '') +
        (c.quorum > 1 ? ` from ≥${c.quorum} pods` : '') +
        `; cooldown ${seconds(c.cooldownMs)}` +
        (c.cooldownMultiplier > 1 && c.maxCooldownMs > c.cooldownMs
          ? `, ×${c.cooldownMultiplier} per failed probe up to ${seconds(c.maxCooldownMs)}`
          : ''),
    ],
    ['as of', formatTime(b.at)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** 0.5 → `50%`, 0.28 → `28%` (not 28.000000000000004). */
function percent(ratio: number): string {
  return `${Math.round(ratio * 1_000) / 10}%`;
}

/** Probe intervals are seconds apart: 4_500 → `4.5s` (formatDuration would round it), longer ones as usual. */
function seconds(ms: number): string {
  return ms < 60_000 ? `${ms / 1_000}s` : formatDuration(ms);
}

/** One line for a mutation's result or a `watch` update. */
export function renderSummary(b: BreakerSnapshot): string {
  const override = b.override
    ? `, ${b.override.mode} by ${b.override.actor} until ${formatTime(b.override.expiresAt)}: ${b.override.reason}`
    : '';
  return `${b.name}: ${b.state} (generation ${b.generation}${b.state === b.automaticState ? '' : `, automatic ${b.automaticState}`})${override}`;
}

export function renderAudit(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'no audit entries';
  return formatTable(
    ['AT', 'ACTION', 'FROM', 'TO', 'GEN', 'ACTOR', 'REASON'],
    entries.map((e) => [formatTime(e.at), e.action, e.from, e.to, String(e.generation), e.actor, e.reason]),
  );
}

/** The stored config, one field a line, in the units the `config` flags take. */
export function renderConfig(b: BreakerSnapshot): string {
  const c = b.config;
  const ms = (v: number) => (v % 1_000 === 0 ? formatDuration(v) : `${v}ms`);
  const rows: [string, string][] = [
    ['window', `${ms(c.windowMs)} (buckets of ${ms(c.bucketMs)})`],
    ['failure-threshold', String(c.failureThreshold)],
    ['min-failure-ratio', String(c.minFailureRatio)],
    ['failure-rate', c.failureRate ? `${c.failureRate.threshold}:${c.failureRate.minimumCalls}` : 'off'],
    ['quorum', String(c.quorum)],
    [
      'cooldown',
      `${seconds(c.cooldownMs)}, ×${c.cooldownMultiplier} per failed probe up to ${seconds(c.maxCooldownMs)}`,
    ],
    ['cooldown-jitter', String(c.cooldownJitter)],
    ['probe-lease', ms(c.probeLeaseMs)],
    ['success-threshold', String(c.successThreshold)],
    ['mode', c.mode],
    ['hash', `${b.configHash} (generation ${b.generation})`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${b.name}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}`;
}
