/**
 * @breakwater/chaos — the fault campaign behind `pnpm chaos`: pod processes behind
 * per-pod TCP proxies and the admin API against a real Redis topology, a seeded
 * schedule of faults, continuous checks and a report. Private; runs from source.
 */
export { type CampaignResult, machineInfo, runCampaign } from './campaign.js';
export { DIVERGENCE_LIMIT_MS } from './checks/divergence.js';
export type { Violation } from './checks/stats.js';
export { buildSchedule, FAULT_KINDS, type FaultKind, type FaultSpec, prng } from './faults/schedule.js';
export { CHAOS_USAGE, type ChaosOptions, ChaosUsageError, parseChaosOptions } from './options.js';
export { PodProxy, type ProxyMode } from './proxy/pod-proxy.js';
export { ProxyHost, RemoteProxy } from './proxy/proxy-host.js';
export { reliabilityMarkdown } from './report/reliability.js';
export { campaignTable } from './report/table.js';
export { kindsFor, runTopology, type TopologyResult } from './run-topology.js';
export { TOPOLOGY_KINDS, type TopologyKind } from './topology/topology.js';
