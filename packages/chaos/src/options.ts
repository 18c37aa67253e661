import { TOPOLOGY_KINDS, type TopologyKind } from './topology/topology.js';

export interface ChaosOptions {
  readonly pods: number;
  readonly topologies: readonly TopologyKind[];
  /** Faults in all, split evenly across the topologies. */
  readonly faults: number;
  readonly seed: number;
  /** Write the JSON report here (`-` for stdout). */
  readonly json: string | undefined;
  readonly soakSeconds: number;
  readonly callsPerSecond: number;
  readonly writeReliability: string | undefined;
  /** Render the table (and RELIABILITY.md) again from a saved JSON report instead of running. */
  readonly fromJson: string | undefined;
  readonly help: boolean;
}

export const DEFAULT_CHAOS_OPTIONS = Object.freeze({
  pods: 30,
  topology: 'all',
  faults: 210,
  soakSeconds: 120,
  callsPerSecond: 20,
});

export const CHAOS_USAGE = `Usage: pnpm chaos [options]

The fault campaign: pod processes (each one ClusterBreaker with its own connections,
through its own TCP proxy) and the admin API against real Redis, under a seeded random
schedule of faults, checked continuously (divergence, probe leases, allow()/record()
never blocking or throwing, convergence after each fault, a soak). Prints a table; exit 1
on any violation.

Options:
  --pods N                 pod processes per topology, 1-100                     ${DEFAULT_CHAOS_OPTIONS.pods}
  --topology T             standalone | cluster | sentinel | all                   ${DEFAULT_CHAOS_OPTIONS.topology}
  --faults N               faults in all, split evenly across the topologies, 1-2000  ${DEFAULT_CHAOS_OPTIONS.faults}
  --seed N                 the schedule's seed, 0-4294967295                       time-based (printed)
  --soak-seconds N         soak at constant load after the faults (first topology), 0-3600  ${DEFAULT_CHAOS_OPTIONS.soakSeconds}
  --calls-per-second N     ordinary allow()+record() per pod per second, 1-1000   ${DEFAULT_CHAOS_OPTIONS.callsPerSecond}
  --json [FILE]            write the JSON report to FILE (or stdout with - or no FILE)
  --write-reliability [FILE]  write RELIABILITY.md (or FILE) from this run
  --from-json FILE         run nothing: print the table (and --write-reliability) from a saved --json report
  -h, --help               this text
`;

export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

/** Parses the command line; throws ChaosUsageError naming the bad argument. */
export function parseChaosOptions(argv: readonly string[], now: () => number = Date.now): ChaosOptions {
  let pods: number = DEFAULT_CHAOS_OPTIONS.pods;
  let topology: string = DEFAULT_CHAOS_OPTIONS.topology;
  let faults: number = DEFAULT_CHAOS_OPTIONS.faults;
  let seed: number | undefined;
  let soakSeconds: number = DEFAULT_CHAOS_OPTIONS.soakSeconds;
  let callsPerSecond: number = DEFAULT_CHAOS_OPTIONS.callsPerSecond;
  let json: string | undefined;
  let writeReliability: string | undefined;
  let fromJson: string | undefined;
  let help = false;
  const args = [...argv];
  if (args[0] === '--') args.shift(); // pnpm passes it through
  for (let i = 0; i < args.length; i++) {
    const raw = args[i] as string;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ChaosUsageError(`${flag} needs a value`);
      i++;
      return next;
    };
    const optional = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) return undefined;
      i++;
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--pods':
        pods = int(flag, value(), 1, 100);
        break;
      case '--topology':
        topology = value();
        if (topology !== 'all' && !(TOPOLOGY_KINDS as readonly string[]).includes(topology)) {
          throw new ChaosUsageError(
            `--topology must be one of standalone, cluster, sentinel, all; got ${JSON.stringify(topology)}`,
          );
        }
        break;
      case '--faults':
        faults = int(flag, value(), 1, 2_000);
        break;
      case '--seed':
        seed = int(flag, value(), 0, 4_294_967_295);
        break;
      case '--soak-seconds':
        soakSeconds = int(flag, value(), 0, 3_600);
        break;
      case '--calls-per-second':
        callsPerSecond = int(flag, value(), 1, 1_000);
        break;
      case '--json':
        json = optional() ?? '-';
        break;
      case '--write-reliability':
        writeReliability = optional() ?? 'RELIABILITY.md';
        break;
      case '--from-json':
        fromJson = value();
        break;
      default:
        throw new ChaosUsageError(`unknown argument ${JSON.stringify(raw)} (see --help)`);
    }
  }
  const topologies = topology === 'all' ? [...TOPOLOGY_KINDS] : [topology as TopologyKind];
  if (faults < topologies.length) {
    throw new ChaosUsageError(`--faults must be at least one per topology (${topologies.length}), got ${faults}`);
  }
  return {
    pods,
    topologies,
    faults,
    seed: seed ?? now() % 4_294_967_296,
    json,
    soakSeconds,
    callsPerSecond,
    writeReliability,
    fromJson,
    help,
  };
}

function int(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text))
    throw new ChaosUsageError(`${flag} expects an integer ${min}-${max}, got ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < min || n > max) throw new ChaosUsageError(`${flag} expects an integer ${min}-${max}, got ${n}`);
  return n;
}

/** The command that replays a run: the options that differ from the defaults, and the seed. */
export function replayCommand(o: {
  readonly pods: number;
  readonly topologies: readonly string[];
  readonly faults: number;
  readonly soakSeconds: number;
  readonly callsPerSecond?: number;
  readonly seed: number;
}): string {
  const d = DEFAULT_CHAOS_OPTIONS;
  const parts = ['pnpm chaos'];
  if (o.pods !== d.pods) parts.push(`--pods ${o.pods}`);
  if (o.topologies.length === 1) parts.push(`--topology ${o.topologies[0]}`);
  if (o.faults !== d.faults) parts.push(`--faults ${o.faults}`);
  if (o.soakSeconds !== d.soakSeconds) parts.push(`--soak-seconds ${o.soakSeconds}`);
  if (o.callsPerSecond !== undefined && o.callsPerSecond !== d.callsPerSecond) {
    parts.push(`--calls-per-second ${o.callsPerSecond}`);
  }
  parts.push(`--seed ${o.seed}`);
  return parts.join(' ');
}
