import type { CampaignResult } from '../campaign.js';
import { FAULT_KINDS } from '../faults/schedule.js';
import type { LoopDelay } from '../proxy/messages.js';

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');

function grid(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** An event loop's delay, `p50/p99/max ms`; `-` when the run did not measure it. */
export function loopDelay(d: LoopDelay | undefined): string {
  if (!d) return '-';
  return `${d.p50Ms}/${d.p99Ms}/${d.maxMs} ms${d.cpuS === undefined ? '' : `, CPU ${d.cpuS} s`}`;
}

/** The campaign as plain-text tables (stdout). */
export function campaignTable(r: CampaignResult): string {
  const tops = r.topologies;
  const head = ['', ...tops.map((t) => t.topology)];
  const rows: string[][] = [head];
  rows.push(['pods', ...tops.map((t) => String(t.pods))]);
  rows.push(['faults', ...tops.map((t) => String(t.faults))]);
  for (const k of FAULT_KINDS) {
    if (tops.some((t) => t.faultsByKind[k])) rows.push([`  ${k}`, ...tops.map((t) => String(t.faultsByKind[k] ?? 0))]);
  }
  rows.push(['divergence episodes', ...tops.map((t) => String(t.divergence.count))]);
  rows.push(['divergence p50', ...tops.map((t) => s(t.divergence.p50))]);
  rows.push(['divergence p99', ...tops.map((t) => s(t.divergence.p99))]);
  rows.push(['divergence max', ...tops.map((t) => s(t.divergence.max))]);
  for (const k of FAULT_KINDS) {
    if (!tops.some((t) => t.convergence.some((c) => c.kind === k))) continue;
    rows.push([
      `convergence ${k} p50/max`,
      ...tops.map((t) => {
        const c = t.convergence.find((x) => x.kind === k);
        return c ? `${s(c.p50Ms)} / ${s(c.maxMs)}` : '-';
      }),
    ]);
  }
  rows.push([
    'leases held at once per generation, max',
    ...tops.map((t) => String(t.leases.maxConcurrentPerGeneration)),
  ]);
  rows.push(['leases granted per generation, max', ...tops.map((t) => String(t.leases.maxGrantsPerGeneration))]);
  rows.push([
    'shared leases granted / reports accepted',
    ...tops.map((t) => `${t.leases.sharedGrants} / ${t.leases.accepted}`),
  ]);
  rows.push(['same token granted twice (lossy failover)', ...tops.map((t) => String(t.leases.duplicateTokenGrants))]);
  rows.push(['one lease accepted twice (lossy failover)', ...tops.map((t) => String(t.leases.lossyReaccepted))]);
  rows.push([
    'accepted after a rollback (lossy failover)',
    ...tops.map((t) => String(t.leases.acceptedAfterRollback ?? '-')),
  ]);
  rows.push(['allow()/record*() calls', ...tops.map((t) => String(t.calls.count))]);
  rows.push(['  longest, CPU', ...tops.map((t) => `${t.calls.maxCpuMs.toFixed(2)} ms`)]);
  rows.push(['  longest, wall (incl. preemption, SIGSTOP)', ...tops.map((t) => `${t.calls.maxWallMs.toFixed(1)} ms`)]);
  rows.push([
    'admin actions (by status)',
    ...tops.map((t) => `${t.admin.actions} ${JSON.stringify(t.admin.byStatus)}`),
  ]);
  rows.push([
    'observer reads (rtt p50/p99)',
    ...tops.map((t) => `${t.observer.reads} (${t.observer.rttP50Ms}/${t.observer.rttP99Ms} ms)`),
  ]);
  rows.push(['orchestrator loop delay p50/p99/max, CPU', ...tops.map((t) => loopDelay(t.orchestratorLoop))]);
  rows.push(['proxy hosts loop delay p50/p99/max (worst), CPU (all)', ...tops.map((t) => loopDelay(t.proxyHostLoop))]);
  rows.push(['violations', ...tops.map((t) => String(t.violations.length))]);
  rows.push(['duration', ...tops.map((t) => s(t.durationMs))]);
  const lines = [grid(rows)];
  const soak = tops.find((t) => t.soak)?.soak;
  const soakTop = tops.find((t) => t.soak)?.topology;
  if (soak) {
    lines.push(
      '',
      `soak (${soakTop}, ${soak.seconds} s, ${soak.pods} pods): heap ${soak.heapMb[0]} → ${soak.heapMb[1]} MB, RSS ${soak.rssMb[0]} → ${soak.rssMb[1]} MB, handles ${soak.handles[0]} → ${soak.handles[1]}, Redis keys ${soak.keys[0]} → ${soak.keys[1]}; worst pod heap ×${soak.worstHeapRatio}`,
    );
  }
  lines.push('', `seed ${r.seed}; ${r.violations.length} violations in ${s(r.durationMs)}`);
  for (const v of r.violations.slice(0, 50)) lines.push(`  [${v.topology}] ${v.check}: ${v.detail}`);
  if (r.violations.length > 50) lines.push(`  … ${r.violations.length - 50} more in the JSON`);
  return lines.join('\n');
}
