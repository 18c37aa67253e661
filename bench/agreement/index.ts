/**
 * `@breakwater/bench/agreement`: issue 12's agreement scenario and the CPU load it runs
 * under, for `pnpm soak:agreement` (./cli.ts) and test/breaker-core/runtime/agreement.test.ts.
 */
export { type BusyLoad, startBusyLoad } from './busy-load.js';
export {
  type PodResult,
  type RedisRestartRun,
  type RedisRestartScenarioOptions,
  runRedisRestartEmpty,
} from './redis-restart-empty.js';
