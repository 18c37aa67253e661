/**
 * @breakwater/incident-replay — reruns the pusher outage with the old client and
 * with Breakwater, side by side. `pnpm demo` is its command line.
 */
export {
  DEFAULT_REPLAY_OPTIONS,
  type FailureMode,
  type PhaseName,
  parseReplayArgs,
  type ReplayOptions,
  ReplayUsageError,
  USAGE,
} from './options.js';
export { type ReplayReport, type ReplayResult, runReplay } from './replay.js';
export type { PhaseSummary } from './report/summary.js';
