import { DEFAULT_CLUSTER_BREAKER_OPTIONS } from '@breakwater/breaker-core';
import type { CampaignResult } from '../campaign.js';
import { DIVERGENCE_LIMIT_MS } from '../checks/divergence.js';
import { SOAK_TOLERANCE } from '../checks/soak.js';
import { FAULT_KINDS } from '../faults/schedule.js';
import { SLOW_CALL_CPU_MS } from '../pod/messages.js';
import { CAMPAIGN_CONFIG, CONNECT_MS, REACH_CAP_MS } from '../run-topology.js';
import { loopDelay } from './table.js';

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'never');

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** What the faults are, per topology. */
const FAULT_TEXT: Record<(typeof FAULT_KINDS)[number], string> = {
  'redis-kill-restart':
    "SIGKILL of the breaker's master, back empty. Standalone: 200–800 ms down, restarted on its port. Sentinel: restarted before the sentinels fail over (an empty master; its replica resyncs from it). Cluster: its replica takes the slots, the node comes back empty and is made that replica's replica (new node id, CLUSTER FORGET/MEET/REPLICATE).",
  'redis-stop-cont':
    "SIGSTOP of the breaker's master for 0.3–1.2 s, then SIGCONT (below Sentinel `down-after` 2 s and Cluster node timeout 3 s).",
  'failover-manual': "`SENTINEL FAILOVER` / `CLUSTER FAILOVER` on the breaker's shard.",
  'failover-kill':
    'SIGKILL of the master, a replica promoted (Sentinel: `down-after` 2 s; Cluster: node timeout 3 s), the old master back as a replica.',
  'cut-blackhole':
    'A random subset of pods (1 to P/3) cut off for 1–4 s: their proxy passes nothing, new connections hang; held bytes flow again at the heal.',
  'cut-reset': 'A subset of pods: every connection reset at once, new ones reset, for 1–4 s.',
  latency: 'A subset of pods: 200–2,000 ms added to every chunk each way, for 1–4 s.',
  'pod-sigstop': 'A subset of pod processes frozen and thawed (SIGSTOP/SIGCONT) in 1–3 bursts over 1–4 s.',
  'pod-busy-loop': 'A subset of pods hold their own event loop with a busy loop for 1–4 s.',
  'probe-holder-kill':
    'The breaker tripped; the pod granted the next half-open lease keeps it (does not report); it is SIGKILLed and started again (same pod id). The lease lapses (`probeLeaseMs` 3 s) and another pod probes.',
  operator:
    'Force-open (10 s) or clear through the real admin API (`startAdminServer`, against the same topology, directly).',
};

/** What the campaign found so far (kept with the generator so every RELIABILITY.md carries it). */
const FINDINGS: readonly string[] = [
  "- **Fixed in breaker-core: a pod process crashed when its Sentinel failover detector lost a sentinel that then did not answer.** Found on Sentinel with a pod's path reset: ioredis re-sends SUBSCRIBE on the detector's reconnect without handling the promise; with the breaker's `sentinelCommandTimeout` a sentinel that does not answer in time rejects it, unhandled, and Node ends the process. The breaker now guards the connections ioredis opens to the sentinels (`guardSentinelConnections`, fail-fast-client.ts). Test: test/breaker-core/runtime/sentinel-detector-crash.test.ts (the pod process dies without the fix).",
  "- **Fixed in the checker (not the library):** a held lease released after the probe-holder fault was reported as shared although the pod had been granted it by its local fallback (the report check now takes a lease's store from its grant); a divergence episode could span a stretch without usable observer reads in which the pod had stopped reaching Redis (it now ends where that began).",
  "- **Fixed in breaker-core: pods on a Cluster stayed on their local fallback for seconds while their path answered** (the run of 2026-12-01: 13 episodes of 2.2–9.3 s on the Cluster). After a timeout the breaker drops its command connection and rejoins on its `ready`; before `ready`, ioredis's Cluster sends `CLUSTER INFO` to a node picked at random, and with no offline queue refuses to send it to a node whose connection is still opening — right after the slot refresh, often a replica (10 of 40 and 15 of 46 connects in two traced runs). Each failed check is a whole reconnect on a doubling backoff (100 ms … 2 s) that only `ready` resets. The breaker's Cluster command connection now has no ready check (`CLUSTERDOWN` reaches its calls anyway); `test/breaker-core/runtime/cluster-rejoin.test.ts` (real 3+3 Cluster, faults through per-pod proxies) fails without it. Small Cluster campaigns on the same seeds: max divergence 0.72 / 2.27 / 3.10 s before, 0.16 / 0.24 / 0.31 s after.",
  "- **Fixed in breaker-core: `MaxListenersExceededWarning: 11 close listeners added to [Socket]` in pod processes on a Cluster.** ioredis's Cluster pub/sub helper disconnects the same dead subscriber connection on every pick of a new one (~15 a second while a path resets), and each `disconnect()` adds a `close` listener to that socket; each picked connection is now disconnected once (same test: 21 listeners without, 1 with).",
  "- **Fixed in admin-api: behind Sentinel the admin API answered 503 to every force-open and clear (18 of 18 in the run of 2026-12-01, all after the topology's first failover)**, from `STORE_UNAVAILABLE`: its two Redis connections had ended for good. ioredis ends a Sentinel connection (status `end`, no more reconnects) when its failover detector hears `+switch-master` while a reconnect is still asking the sentinels for the master; sentinels slow to answer (a machine at load 40–50) make that likely. The pods' connections had the guard (breaker-core `outliveFailovers`), the admin server's did not; now they do. Not the `WAIT` (its failure is logged, never answered with 503), not the orchestrator's loop (the same load gave 200s on the other topologies). Test: test/admin-api/failover-bins.test.ts, a switch announced while the bin is still asking the sentinels (`/readyz` never came back without the fix). The campaign now records each refusal's code and message.",
  "- **Held again, with both cores saturated.** A second full run the same day, `pnpm chaos --seed 20261203` (a different schedule of 210 faults), with two `node -e 'for(;;){}'` processes spinning on the 2 cores throughout (1-min load 3–17): **0 violations**; divergence of pods that reach Redis p99 / max 0.11 / 0.13 s, 0.15 / 0.17 s, 0.01 / 0.01 s (single / Cluster / Sentinel); convergence max 0.24 s (Cluster `probe-holder-kill`); at most one lease held per generation (113 shared leases); 1.0 M `allow()`/`record*()` calls, none threw, the longest 2.4 ms of its thread's CPU; soak handles 240 → 240, keys 6 → 6, heap 413 → 408 MB; 89 admin actions, 75 answered 200 and all 14 503s came while the master had just been SIGKILLed.",
  "- **Admin 503s are Redis's, not the API's.** Every 503 the admin API answered in the run of 2026-12-02 below (4 on the Cluster, 4 behind Sentinel) was an operator action issued while the breaker's master had just been SIGKILLed (`failover-kill`, or `redis-kill-restart` on a topology that promoted a replica), before the new master took over: `Command timed out` / `Stream isn't writeable`. Every action outside those windows answered 200.",
  "- **Load.** The run of 2026-12-01 ran at load average 40–50 from other jobs (the observer's reads took over 100 ms one time in ten, and 27 violations were found, most since fixed: see above); the run of 2026-12-02 ran alone, so its load was the campaign's own (30 pod processes, their busy loops and SIGSTOPs, the proxy hosts, Redis) on 2 cores. Pods whose path did not answer within the breaker's 250 ms deadline fell back to their local breakers, as documented; that pod time is excluded from divergence and reported (\"not judged: slow path\").",
];

/** RELIABILITY.md from one campaign run: the command, the seed, the machine, the figures, how they are measured. */
export function reliabilityMarkdown(r: CampaignResult): string {
  const tops = r.topologies;
  const m = r.machine;
  const head = ['', ...tops.map((t) => t.topology)];
  const kinds = FAULT_KINDS.filter((k) => tops.some((t) => t.faultsByKind[k]));
  const faultRows = kinds.map((k) => [`\`${k}\``, ...tops.map((t) => String(t.faultsByKind[k] ?? 0))]);
  faultRows.push(['**all**', ...tops.map((t) => `**${t.faults}**`)]);
  const divRows = [
    ['episodes', ...tops.map((t) => String(t.divergence.count))],
    ['p50', ...tops.map((t) => s(t.divergence.p50))],
    ['p99', ...tops.map((t) => s(t.divergence.p99))],
    ['max', ...tops.map((t) => s(t.divergence.max))],
    ['episodes over 1 s', ...tops.map((t) => String(t.divergence.episodesOver1s))],
  ];
  const reasons = [...new Set(tops.flatMap((x) => Object.keys(x.excluded?.byReason ?? {})))].sort();
  const exclRows = [
    ['pod time alive', ...tops.map((x) => (x.excluded ? `${x.excluded.podSeconds} pod-s` : '–'))],
    ...reasons.map((why) => [
      `not judged: ${why}`,
      ...tops.map((x) => {
        const e = x.excluded?.byReason[why];
        return e ? `${e.podSeconds} pod-s (${e.windows})` : '0';
      }),
    ]),
  ];
  const convRows = kinds.map((k) => [
    `\`${k}\``,
    ...tops.map((t) => {
      const c = t.convergence.find((x) => x.kind === k);
      return c ? `${s(c.p50Ms)} / ${s(c.maxMs)}` : '–';
    }),
  ]);
  const leaseRows = [
    ['leases held at once in one generation, max', ...tops.map((t) => String(t.leases.maxConcurrentPerGeneration))],
    [
      'leases granted in one generation, max (one after another)',
      ...tops.map((t) => String(t.leases.maxGrantsPerGeneration)),
    ],
    ['shared leases granted', ...tops.map((t) => String(t.leases.sharedGrants))],
    ['probe reports accepted', ...tops.map((t) => String(t.leases.accepted))],
    ['same token granted twice (lossy failover)', ...tops.map((t) => String(t.leases.duplicateTokenGrants))],
    ["one lease's report accepted twice (lossy failover)", ...tops.map((t) => String(t.leases.lossyReaccepted))],
    [
      'report accepted for a generation Redis went back to (lossy failover)',
      ...tops.map((t) => String(t.leases.acceptedAfterRollback ?? '–')),
    ],
  ];
  const callRows = [
    ['allow() / record*() calls', ...tops.map((t) => t.calls.count.toLocaleString('en-US'))],
    ['longest call, CPU (its thread)', ...tops.map((t) => `${t.calls.maxCpuMs.toFixed(2)} ms`)],
    ['longest call, wall (preemption and SIGSTOP included)', ...tops.map((t) => `${t.calls.maxWallMs.toFixed(1)} ms`)],
    [
      'admin actions (HTTP status: count)',
      ...tops.map(
        (t) =>
          `${t.admin.actions} (${Object.entries(t.admin.byStatus)
            .map(([k, n]) => `${k}: ${n}`)
            .join(', ')})`,
      ),
    ],
    [
      'observer reads (round trip p50 / p99)',
      ...tops.map((t) => `${t.observer.reads} (${t.observer.rttP50Ms} / ${t.observer.rttP99Ms} ms)`),
    ],
    ['orchestrator event-loop delay (p50 / p99 / max), CPU', ...tops.map((t) => loopDelay(t.orchestratorLoop))],
    ['proxy hosts event-loop delay (worst host), CPU (all hosts)', ...tops.map((t) => loopDelay(t.proxyHostLoop))],
    ['violations', ...tops.map((t) => `**${t.violations.length}**`)],
    ['duration', ...tops.map((t) => `${(t.durationMs / 60_000).toFixed(1)} min`)],
  ];
  const soakTop = tops.find((t) => t.soak);
  const soak = soakTop?.soak;
  const t = SOAK_TOLERANCE;
  const lines: string[] = [
    '# Reliability: the fault campaign',
    '',
    'Generated by `pnpm chaos --write-reliability` from one full run (issue 12). Everything below is measured;',
    'nothing is edited by hand. How each figure is measured is at the end; the campaign itself is',
    '[packages/chaos](packages/chaos/README.md).',
    '',
    '## The run',
    '',
    `- Command: \`${r.command}\``,
    `- Seed: ${r.seed} (the same seed replays the same schedule)`,
    `- Started ${r.startedAt}, took ${(r.durationMs / 60_000).toFixed(1)} min`,
    `- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, ${m.platform}, Node ${m.node}`,
    `- Load average (1/5/15 min): ${m.loadStart.join(' / ')} at the start, ${m.loadEnd.join(' / ')} at the end (the machine was shared with other jobs)`,
    `- ${r.pods} pod processes per topology, each one \`createClusterBreaker\` (default options) with its own connections through its own TCP proxy; breaker config ${JSON.stringify(CAMPAIGN_CONFIG)}; ordinary traffic: allow() + record() ${tops.length > 0 ? 'at a constant rate per pod' : ''}, the upstream failing during 40 % of faults (trips, half-open probes, closes)`,
    `- **Violations: ${r.violations.length}**`,
    ...(r.checkedFromRecording
      ? [
          "- The checks below were run by the committed checker over this run's recording (`CHAOS_DUMP`, `pnpm chaos --from-json`), after two checker bugs found in it were fixed (see Findings); admin answers, crashes and the soak are as found while running.",
        ]
      : []),
    '',
    '## Faults',
    '',
    table(['fault', ...head.slice(1)], faultRows),
    '',
    `## Divergence (pods that reach Redis; limit ${s(DIVERGENCE_LIMIT_MS)})`,
    '',
    table(['', ...head.slice(1)], divRows),
    '',
    tops
      .filter((x) => x.worstDivergence)
      .map(
        (x) =>
          `- ${x.topology}: longest, ${x.worstDivergence?.podId} at ${x.worstDivergence?.at}: held \`${x.worstDivergence?.pod}\` while Redis held \`${x.worstDivergence?.redis}\` (${s(x.worstDivergence?.ms ?? 0)})`,
      )
      .join('\n'),
    '',
    "Pod time in which divergence was not judged (the pod did not reach Redis), by reason: pod-seconds (stretches). \"slow path\" is the pod's probe connection not answering within the breaker's 250 ms deadline (Redis, the proxy or the pod's own loop late: on a saturated machine this is where the load shows).",
    '',
    table(['', ...head.slice(1)], exclRows),
    '',
    '## Convergence after each fault kind (p50 / max, from the heal to every pod agreeing)',
    '',
    table(['fault', ...head.slice(1)], convRows),
    '',
    '## Probe leases',
    '',
    table(['', ...head.slice(1)], leaseRows),
    '',
    '## Calls, admin, observer',
    '',
    table(['', ...head.slice(1)], callRows),
    '',
    '## Soak',
    '',
    soak
      ? `${soakTop?.topology}, ${soak.seconds} s at constant load, no faults, ${soak.pods} pods (fleet totals, medians of each pod's first and last five samples): heap ${soak.heapMb[0]} → ${soak.heapMb[1]} MB, RSS ${soak.rssMb[0]} → ${soak.rssMb[1]} MB, active handles ${soak.handles[0]} → ${soak.handles[1]}, Redis keys under the prefix ${soak.keys[0]} → ${soak.keys[1]}; the pod whose heap grew most: ×${soak.worstHeapRatio}. Tolerance per pod: heap ≤ start × ${t.heapRatio} + ${t.heapSlackBytes / 1024 / 1024} MB, RSS ≤ start × ${t.rssRatio} + ${t.rssSlackBytes / 1024 / 1024} MB, handles ≤ start + ${t.handlesSlack}; keys ≤ start + ${t.keysSlack}. ${soak.violations.length === 0 ? 'Flat.' : `Not flat: ${soak.violations.join('; ')}`}`
      : 'No soak in this run.',
    '',
    '## Violations',
    '',
    r.violations.length === 0
      ? 'None.'
      : r.violations.map((v) => `- [${v.topology}] ${v.check}: ${v.detail}`).join('\n'),
    '',
    '## Findings',
    '',
    ...FINDINGS,
    '',
    '## What each fault is',
    '',
    ...kinds.map((k) => `- \`${k}\`: ${FAULT_TEXT[k]}`),
    '- During 30 % of the other faults an operator force-opens or clears through the admin API mid-fault.',
    '',
    '## How it is measured',
    '',
    `- **Divergence.** An observer reads Redis's state directly (its own connection, no proxy) every 100 ms: \`snapshot()\` through a \`RedisBreakerStore\`, placed at the read's midpoint; reads with a round trip over 200 ms are not used. Each pod reports its view (state, generation, incarnation) whenever it changes, sampled every 20 ms and on every state-change event, stamped with its own clock (one host, one clock). At each read, every pod that *reaches Redis* is compared with it by state + generation + incarnation (a pod on its local fallback has a local incarnation: it disagrees). An episode runs from the first read a pod disagrees with to the first read it agrees with again; its length is quantised by the 100 ms read interval (a transition the pod applies before the observer reads it shows as an episode of about one interval). A pod *reaches Redis* (the staleness bound's condition: its Redis connection answers within \`commandTimeoutMs\`) when all of these hold: (1) no fault is on its path: its proxy passes, the breaker's master answers, and after a heal from the first reply on a connection the pod opened after the heal (at most ${s(REACH_CAP_MS)} after the heal: the reconnect backoff cap, ${s(DEFAULT_CLUSTER_BREAKER_OPTIONS.reconnectMaxDelayMs)}, plus the connect, ${s(CONNECT_MS)}); (2) the pod runs (frozen and busy-looping stretches are excluded, its view after them is not); (3) its path answers in time: beside the breaker each pod keeps a probe connection of the same kind through the same proxy, with the breaker's fail-fast settings and backoff, and asks it every 200 ms (ROLE on the master; on a Cluster, EXISTS of the breaker's key); from the first ask not answered within 250 ms (or answered by a replica, or failed) to the next answer in time, the pod does not reach Redis ("slow path"). The pod time excluded for each reason is in the table under Divergence. A Redis emptied by a restart shows as \`absent\` until a pod registers the breaker again; pods disagree with that.`,
    `- **Convergence.** From the heal (the fault removed; for failovers, the topology healthy around the new master) to the first observer read at which every live pod holds what Redis holds. Limit: reconnect backoff cap (${s(DEFAULT_CLUSTER_BREAKER_OPTIONS.reconnectMaxDelayMs)}) + connect (${s(CONNECT_MS)}) + the divergence limit (${s(DIVERGENCE_LIMIT_MS)}) = ${s(DEFAULT_CLUSTER_BREAKER_OPTIONS.reconnectMaxDelayMs + CONNECT_MS + DIVERGENCE_LIMIT_MS)}. Time in which the orchestrator's own event loop stalled (below) is not counted.`,
    `- **The apparatus.** The orchestrator runs the schedule, the observer, the admin API and the checks in one event loop; the pods' TCP proxies run in proxy hosts, child processes of their own (one per 15 pods), driven over IPC, each reporting when a mode took effect on its clock (a cut's window opens before, its heal is then). Every loop is checked every 20 ms; a tick over 100 ms late is a stall. No pod's divergence is judged inside the orchestrator's stalls ("not judged: orchestrator stalled", pod-seconds over the live pods) nor inside a proxy host's stalls for the pods it serves ("not judged: proxy host stalled"), and convergence does not count the orchestrator's; after a stall longer than the breaker's 250 ms deadline a pod on its local fallback is rejoining for ${s(REACH_CAP_MS)}, as after a slow path.`,
    `- **Rejoining after a slow path.** A slow path sends the breaker to its local fallback and drops its connection; it rejoins on the reconnect's \`ready\`. A pod still on its local fallback within ${s(REACH_CAP_MS)} (reconnect backoff cap + connect) of the end of a slow path is rejoining, not diverging, as after a heal; back on the shared breaker it is judged at once. Between two usable observer reads of the same key (each transition moves the generation), the pod's own reports place an episode's end.`,
    '- **Leases.** Only leases of the shared store (a pod on its local fallback grants itself local leases). A lease is held from its grant until its holder reports it or it lapses (`expiresAt`), whichever is first; a holder SIGKILLed holds it until it lapses. Two different leases of one generation held at once: violation. A report accepted for a generation the observer had already seen Redis leave before the report was sent (and not seen Redis go back to, see below), or reports of two different leases accepted in one generation: violation.',
    '- **Lossy failover (decided).** A failover that loses the last writes (asynchronous replication: the promoted replica had not received them) can grant the lease it lost again, *with the same token* (the token is derived from the incarnation, generation and a sequence that was rolled back too), and a report the old master accepted can be accepted again by the new one. The checker counts both (rows "same token granted twice" and "one lease\'s report accepted twice") and does **not** count them as violations: it is one lease, and Redis after the failover holds one outcome of it (the first report to reach the new master wins). Two *different* leases of one generation, or a stale generation\'s report accepted, remain violations. See packages/breaker-core/README.md on failovers.',
    '- **Rollbacks (decided).** The same failover takes the breaker back to what the promoted replica had, so within one incarnation **the generation goes backwards** (3 → 2) and the next transitions reuse the numbers. The checker takes for a rollback two successive observer reads of one incarnation whose generation went down, or stayed the same in another state (every state change bumps the generation, so that one was lost and made again), with a Redis fault (kill-restart, SIGSTOP, either failover: a kill or a stop can turn into a failover) overlapping the gap between them; a generation going down outside a Redis fault is not one. A report accepted for a generation the observer had seen Redis leave is then correct, and counted (row "report accepted for a generation Redis went back to"), not a violation, when a rollback came after that read and could have come before the report was answered (the fault had begun), and either the report\'s generation is at or above the one the observer read after the rollback, or the report was sent before that read (a replica further behind goes back further: the read only bounds where Redis went back to). Reports of two different leases of one generation number accepted on either side of such a rollback are two generations, not a violation. A report for a generation Redis left, went on from and was never seen going back to (e.g. read at 3 after going back from 4 to 3, a report for 2) stays a violation, as does anything outside a Redis fault. A rollback the observer cannot see (it reads the same state and generation before and after) is not excused.',
    `- **allow() / record*().** Each call is timed in the pod: wall clock and the CPU time of the pod's JavaScript thread alone (Linux \`/proc/thread-self/schedstat\`; Node 20 has no per-thread CPU clock), main-thread GC pauses that overlapped the call (\`gc\` performance entries) left out. A call over ${SLOW_CALL_CPU_MS} ms both of wall clock and of that CPU is a violation (it held the loop); wall clock alone is not (the OS preempting a pod on a loaded machine, a SIGSTOP), nor are GC helper and compiler threads or other processes. Any exception is a violation.`,
    '- **Pod crashes.** A pod process that exits without being told to is a violation.',
    '- **Admin.** Every admin action must answer 200, 404 (the breaker gone with an emptied Redis) or 503 (Redis unreachable); anything else is a violation.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
