import { cpus, loadavg, totalmem } from 'node:os';
import type { Violation } from './checks/stats.js';
import { buildSchedule } from './faults/schedule.js';
import type { ChaosOptions } from './options.js';
import { kindsFor, runTopology, type TopologyResult } from './run-topology.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** 1, 5 and 15 min load averages at the start and the end of the run. */
  readonly loadStart: readonly number[];
  loadEnd: readonly number[];
}

export interface CampaignResult {
  readonly command: string;
  readonly seed: number;
  readonly pods: number;
  readonly faults: number;
  readonly soakSeconds: number;
  readonly startedAt: string;
  durationMs: number;
  readonly machine: MachineInfo;
  topologies: TopologyResult[];
  violations: Violation[];
  /** The checks were run again over the run's recording (CHAOS_DUMP) by `--from-json`. */
  checkedFromRecording?: boolean;
}

export function machineInfo(): MachineInfo {
  const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadStart: load(),
    loadEnd: load(),
  };
}

/** The schedule for each topology: its share of the faults, its own seed derived from the campaign's. */
export function topologySeed(seed: number, index: number): number {
  return (seed + index * 0x9e3779b9) >>> 0;
}

export async function runCampaign(
  o: ChaosOptions,
  command: string,
  log: (line: string) => void,
): Promise<CampaignResult> {
  const started = Date.now();
  const result: CampaignResult = {
    command,
    seed: o.seed,
    pods: o.pods,
    faults: o.faults,
    soakSeconds: o.soakSeconds,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    machine: machineInfo(),
    topologies: [],
    violations: [],
  };
  for (const [index, topology] of o.topologies.entries()) {
    const share = Math.floor(o.faults / o.topologies.length) + (index < o.faults % o.topologies.length ? 1 : 0);
    const schedule = buildSchedule({
      seed: topologySeed(o.seed, index),
      faults: share,
      pods: o.pods,
      kinds: kindsFor(topology),
    });
    const r = await runTopology({
      topology,
      pods: o.pods,
      schedule,
      soakSeconds: index === 0 ? o.soakSeconds : 0,
      callsPerSecond: o.callsPerSecond,
      log,
      ...(process.env.CHAOS_DUMP ? { dumpFile: `${process.env.CHAOS_DUMP}.${topology}.json` } : {}),
    });
    result.topologies.push(r);
    result.violations.push(...r.violations);
    log(`[${topology}] done in ${(r.durationMs / 1000).toFixed(0)} s: ${r.violations.length} violations`);
  }
  result.durationMs = Date.now() - started;
  result.machine.loadEnd = machineInfo().loadStart;
  return result;
}
