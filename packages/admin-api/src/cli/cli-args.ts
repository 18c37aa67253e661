import { parseArgs } from 'node:util';
import type { ConfigPatch } from '../client/admin-client.js';
import { DEFAULT_CLIENT_TIMEOUT_MS } from '../client/admin-client.js';
import { MAX_TTL_SECONDS, MIN_TTL_SECONDS } from '../limits.js';
import { CONFIG_FLAGS, CONFIG_USAGE, configPatch } from './config-flags.js';
import { formatDuration, parseDurationMs } from './duration.js';
import { UsageError } from './usage-error.js';

/** Where the CLI looks when neither `--url` nor BREAKWATER_URL is given (the server's default bind). */
export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** `watch` polls this often unless `--interval` says otherwise; bounds 250 ms – 60 s. */
export const DEFAULT_WATCH_INTERVAL_MS = 2_000;
export const MIN_WATCH_INTERVAL_MS = 250;
export const MAX_WATCH_INTERVAL_MS = 60_000;

/** The TTLs the API accepts, as the usage text and errors say them. */
const TTL_RANGE = `${MIN_TTL_SECONDS}s to ${MAX_TTL_SECONDS / 3_600}h`;

export type CliCommand =
  | { readonly kind: 'status'; readonly name: string | undefined }
  | {
      readonly kind: 'force-open' | 'force-close';
      readonly name: string;
      readonly reason: string;
      readonly ttlSeconds: number;
    }
  | { readonly kind: 'clear'; readonly name: string; readonly reason: string | undefined }
  | { readonly kind: 'reset'; readonly name: string; readonly reason: string }
  | { readonly kind: 'audit'; readonly name: string; readonly limit: number | undefined }
  | { readonly kind: 'watch'; readonly name: string; readonly intervalMs: number }
  | {
      readonly kind: 'config';
      readonly name: string;
      /** The fields to change, with the reason; undefined: show the stored config. */
      readonly update: { readonly reason: string; readonly config: ConfigPatch } | undefined;
    };

export interface CliInvocation {
  readonly command: CliCommand;
  readonly url: string;
  /** Where the URL came from, for the hint when it cannot be reached. */
  readonly urlFrom: '--url' | 'BREAKWATER_URL' | 'default';
  readonly token: string;
  readonly json: boolean;
  readonly timeoutMs: number;
}

export type ParsedArgs =
  | { readonly help: true; readonly version?: false }
  | { readonly help: false; readonly version: true }
  | ({ readonly help: false; readonly version?: false } & CliInvocation);

export { UsageError };

export const USAGE = `Usage: breakwater <command> [options]

Commands:
  status [NAME]                               every breaker, or one in detail
  force-open NAME --reason TEXT --ttl DUR     force open on every pod until the TTL ends
  force-close NAME --reason TEXT --ttl DUR    force closed on every pod until the TTL ends
  clear NAME [--reason TEXT]                  clear the override: back to automatic
  reset NAME --reason TEXT                    automatic state to closed, window emptied
  audit NAME [--limit N]                      who did what, newest first (N: 1-1000)
  config NAME                                 the rules every pod follows (stored with the breaker)
  config NAME --reason TEXT [FIELD FLAGS]     change them for every pod: the fields given; the rest stay
  watch NAME [--interval DUR]                 a line per transition, live from the event stream (Ctrl-C stops);
                                              polls every DUR (default ${formatDuration(DEFAULT_WATCH_INTERVAL_MS)}, ${MIN_WATCH_INTERVAL_MS}ms-${formatDuration(MAX_WATCH_INTERVAL_MS)}) while it cannot stream

Config flags (breakwater config):
${CONFIG_USAGE}

Options:
  --url URL        admin API (default: $BREAKWATER_URL, else ${DEFAULT_URL})
  --token TOKEN    bearer token (default: $BREAKWATER_TOKEN; prefer the variable: flags show in ps)
  --json           machine-readable output (watch: one JSON snapshot per line)
  --timeout DUR    per request (default ${DEFAULT_CLIENT_TIMEOUT_MS / 1000}s)
  -h, --help       this text
  -V, --version    the CLI's version

Durations: 90 (seconds), 90s, 15m, 2h, 1d, 1h30m. TTLs: ${TTL_RANGE}.
Ctrl-C during a request abandons it (exit 130); a change may or may not have been made.
Exit codes: 0 ok, 1 refused by the server (4xx), 2 usage, 3 server error (5xx), 4 unreachable,
130 interrupted.

Example:
  BREAKWATER_TOKEN=... breakwater force-open pusher --reason "pusher 5xx, INC-123" --ttl 15m
`;

const COMMAND_OPTIONS: Readonly<Record<CliCommand['kind'], readonly string[]>> = {
  status: [],
  'force-open': ['reason', 'ttl'],
  'force-close': ['reason', 'ttl'],
  clear: ['reason'],
  reset: ['reason'],
  audit: ['limit'],
  watch: ['interval'],
  config: ['reason', ...Object.keys(CONFIG_FLAGS)],
};

/** Options only some commands take. */
const COMMAND_ONLY = ['reason', 'ttl', 'limit', 'interval', ...Object.keys(CONFIG_FLAGS)];

/** Parses argv (without `node` and the script); throws UsageError with what to fix. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (values.version) return { help: false, version: true };
  if (positionals.length === 0) return { help: true };
  const [kind, name, ...extra] = positionals;
  if (!kind || !Object.hasOwn(COMMAND_OPTIONS, kind)) {
    throw new UsageError(`unknown command ${JSON.stringify(kind)}; see breakwater --help`);
  }
  const command = kind as CliCommand['kind'];
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  for (const option of COMMAND_ONLY) {
    if ((values as Record<string, unknown>)[option] !== undefined && !COMMAND_OPTIONS[command].includes(option)) {
      throw new UsageError(`${command} does not take --${option}`);
    }
  }
  if (command !== 'status' && name === undefined) throw new UsageError(`${command} needs a breaker NAME`);

  const token = values.token ?? env.BREAKWATER_TOKEN;
  if (!token) throw new UsageError('no token: set BREAKWATER_TOKEN (or pass --token)');
  const urlFrom: CliInvocation['urlFrom'] =
    values.url !== undefined ? '--url' : env.BREAKWATER_URL !== undefined ? 'BREAKWATER_URL' : 'default';
  const url = values.url ?? env.BREAKWATER_URL ?? DEFAULT_URL;
  if (!/^https?:\/\/[^\s]+$/.test(url))
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const timeoutMs = values.timeout === undefined ? DEFAULT_CLIENT_TIMEOUT_MS : duration('--timeout', values.timeout);
  const common = { help: false as const, url, urlFrom, token, json: values.json ?? false, timeoutMs };

  switch (command) {
    case 'status':
      return { ...common, command: { kind: command, name } };
    case 'force-open':
    case 'force-close': {
      const reason = required(command, 'reason', values.reason);
      const ttlMs = duration('--ttl', required(command, 'ttl', values.ttl));
      if (ttlMs % 1_000 !== 0) throw new UsageError('--ttl must be whole seconds');
      if (ttlMs < MIN_TTL_SECONDS * 1_000 || ttlMs > MAX_TTL_SECONDS * 1_000) {
        throw new UsageError(`--ttl must be ${TTL_RANGE} (the API's bounds), got ${formatDuration(ttlMs)}`);
      }
      return { ...common, command: { kind: command, name: name as string, reason, ttlSeconds: ttlMs / 1_000 } };
    }
    case 'clear':
      return { ...common, command: { kind: command, name: name as string, reason: values.reason } };
    case 'reset':
      return {
        ...common,
        command: { kind: command, name: name as string, reason: required(command, 'reason', values.reason) },
      };
    case 'audit': {
      let limit: number | undefined;
      if (values.limit !== undefined) {
        if (!/^\d+$/.test(values.limit))
          throw new UsageError(`--limit must be a whole number, got ${JSON.stringify(values.limit)}`);
        limit = Number(values.limit);
      }
      return { ...common, command: { kind: command, name: name as string, limit } };
    }
    case 'config': {
      const config = configPatch(values as Record<string, unknown>);
      if (config === undefined) {
        if (values.reason !== undefined)
          throw new UsageError('config --reason needs at least one field flag to change');
        return { ...common, command: { kind: command, name: name as string, update: undefined } };
      }
      const reason = required(command, 'reason', values.reason);
      return { ...common, command: { kind: command, name: name as string, update: { reason, config } } };
    }
    case 'watch': {
      const intervalMs =
        values.interval === undefined ? DEFAULT_WATCH_INTERVAL_MS : duration('--interval', values.interval);
      if (intervalMs < MIN_WATCH_INTERVAL_MS || intervalMs > MAX_WATCH_INTERVAL_MS) {
        throw new UsageError(
          `--interval must be between ${MIN_WATCH_INTERVAL_MS}ms and ${MAX_WATCH_INTERVAL_MS / 1000}s`,
        );
      }
      return { ...common, command: { kind: command, name: name as string, intervalMs } };
    }
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      reason: { type: 'string' },
      ttl: { type: 'string' },
      limit: { type: 'string' },
      interval: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
      ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
}

function required(command: string, option: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${command} needs --${option}`);
  return value;
}

function duration(option: string, text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`${option} must be a duration like 90s, 15m, 2h or 1h30m, got ${JSON.stringify(text)}`);
  }
  return ms;
}
