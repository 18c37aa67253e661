/**
 * @breakwater/incident-replay/report — what every measurement in this repository
 * records with its numbers: the machine it ran on, and its section of
 * BENCHMARKS.md. The replay writes one section (`pnpm demo --write-benchmarks`),
 * the benchmarks another (`pnpm bench`).
 */
export { writeBenchmarkSection } from './benchmarks-file.js';
export { cpuBusySampler, describeMachine, type Machine, machineLine } from './machine.js';
