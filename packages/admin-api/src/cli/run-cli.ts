import { setTimeout as sleep } from 'node:timers/promises';
import type { BreakerSnapshot } from '@breakwater/breaker-core';
import { AdminClient } from '../client/admin-client.js';
import { AdminRequestAbortedError, AdminRequestError, AdminUnreachableError } from '../client/admin-client-errors.js';
import type { TransitionEventBody } from '../client/stream-event-types.js';
import { VERSION } from '../version.js';
import { type CliCommand, type CliInvocation, parseCliArgs, USAGE, UsageError } from './cli-args.js';
import { formatDuration } from './duration.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { formatTime, renderAudit, renderBreakerList, renderConfig, renderSnapshot, renderSummary } from './render.js';

/** Everything the CLI touches, injected so tests run it without a process or a port. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * The bin wires SIGINT / SIGTERM to it. Aborting it abandons the request in
   * flight (exit code 130) and ends `watch` (exit code 0).
   */
  readonly signal?: AbortSignal;
}

/** What to try next, by error code. */
const HINTS: Readonly<Record<string, string>> = {
  AUTH_REQUIRED: 'set BREAKWATER_TOKEN',
  AUTH_INVALID: 'check BREAKWATER_TOKEN',
  AUTH_EXPIRED: 'ask for a new token',
  FORBIDDEN: 'this needs an operator token',
  BREAKER_NOT_FOUND: 'see `breakwater status` for the names',
  STORE_UNAVAILABLE: 'Redis did not answer; after a change, check with `breakwater status NAME` whether it happened',
  SHUTTING_DOWN: 'the admin API is restarting; try again in a moment',
};

/** Network failures that mean "nothing answers at that address": the URL is the first suspect. */
const ADDRESS_PROBLEMS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Runs one CLI invocation; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let urlFrom: CliInvocation['urlFrom'] | undefined;
  try {
    const args = parseCliArgs(argv, io.env);
    if (args.help) {
      io.stdout(USAGE);
      return EXIT_CODES.OK;
    }
    if (args.version) {
      io.stdout(`breakwater ${VERSION}\n`);
      return EXIT_CODES.OK;
    }
    urlFrom = args.urlFrom;
    const client = new AdminClient({
      baseUrl: args.url,
      token: args.token,
      timeoutMs: args.timeoutMs,
      ...(io.fetch ? { fetch: io.fetch } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
    });
    return await execute(client, args.command, args.json, io);
  } catch (err) {
    return report(err, io, urlFrom);
  }
}

/** What to check when the admin API cannot be reached at the URL. */
function urlHint(err: AdminUnreachableError, urlFrom: CliInvocation['urlFrom'] | undefined): string {
  if (!ADDRESS_PROBLEMS.has(err.reason)) return '';
  if (urlFrom === 'default')
    return ` (BREAKWATER_URL is not set, so ${err.url} is the default: set it to the admin API)`;
  if (urlFrom === '--url') return ' (is --url the admin API?)';
  return ' (is BREAKWATER_URL the admin API?)';
}

async function execute(client: AdminClient, command: CliCommand, json: boolean, io: CliIo): Promise<ExitCode> {
  const print = (value: unknown, text: () => string) =>
    io.stdout(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  switch (command.kind) {
    case 'status': {
      if (command.name === undefined) {
        const reply = await client.list();
        print(reply, () => renderBreakerList(reply.breakers, reply.truncated));
      } else {
        const snapshot = await client.get(command.name);
        print(snapshot, () => renderSnapshot(snapshot));
      }
      return EXIT_CODES.OK;
    }
    case 'force-open':
    case 'force-close': {
      const body = { reason: command.reason, ttlSeconds: command.ttlSeconds };
      const snapshot =
        command.kind === 'force-open'
          ? await client.forceOpen(command.name, body)
          : await client.forceClose(command.name, body);
      print(snapshot, () => renderSummary(snapshot));
      return EXIT_CODES.OK;
    }
    case 'clear': {
      const snapshot = await client.clearOverride(command.name, command.reason);
      print(snapshot, () => renderSummary(snapshot));
      return EXIT_CODES.OK;
    }
    case 'reset': {
      const snapshot = await client.reset(command.name, command.reason);
      print(snapshot, () => renderSummary(snapshot));
      return EXIT_CODES.OK;
    }
    case 'audit': {
      const entries = await client.audit(command.name, command.limit);
      print({ entries }, () => renderAudit(entries));
      return EXIT_CODES.OK;
    }
    case 'watch':
      return watch(client, command.name, command.intervalMs, json, io);
    case 'config': {
      if (command.update === undefined) {
        const snapshot = await client.get(command.name);
        print(snapshot.config, () => renderConfig(snapshot));
      } else {
        const snapshot = await client.updateConfig(command.name, command.update);
        print(snapshot, () => renderConfig(snapshot));
      }
      return EXIT_CODES.OK;
    }
  }
}

/** Prints each new state of the watched breaker once, whether it came from the stream or a poll. */
class WatchPrinter {
  #generation = -1;
  #state: string | undefined;

  constructor(
    private readonly json: boolean,
    private readonly io: CliIo,
  ) {}

  snapshot(s: BreakerSnapshot): void {
    if (s.generation === this.#generation && s.state === this.#state) return;
    // A generation lower than the last one: the breaker was re-created (Redis lost it); follow it.
    this.#generation = s.generation;
    this.#state = s.state;
    this.io.stdout(`${this.json ? JSON.stringify(s) : `${formatTime(s.at)}  ${renderSummary(s)}`}\n`);
  }

  transition({ transition: t, snapshot }: TransitionEventBody): void {
    if (t.generation <= this.#generation) return;
    if (snapshot && snapshot.generation === t.generation) {
      this.snapshot(snapshot);
      return;
    }
    // One of a burst (the snapshot read after it is later), or replayed after a reconnect.
    this.#generation = t.generation;
    this.#state = t.state ?? t.to;
    if (!this.json) {
      const by = t.reason ? ` by ${t.actor}: ${t.reason}` : ` by ${t.actor}`;
      this.io.stdout(
        `${formatTime(t.at)}  ${t.name}: ${t.action} ${t.from} -> ${t.to} (generation ${t.generation})${by}\n`,
      );
    }
    if (snapshot) this.snapshot(snapshot);
  }
}

/** 250 → `250ms`, 2_000 → `2s`, 90_000 → `1m30s`. */
function interval(ms: number): string {
  return ms % 1_000 === 0 ? formatDuration(ms) : `${ms}ms`;
}

/** Why the stream cannot be had from this server at all (an older admin API): poll instead, for good. */
function noStreamHere(err: unknown): boolean {
  if (err instanceof AdminRequestError) return err.code === 'ROUTE_NOT_FOUND' || err.status === 405;
  return err instanceof AdminUnreachableError && err.reason === 'not_a_stream';
}

/**
 * Follows the breaker on the event stream (`GET /v1/events?name=`) and prints
 * a line per transition. When the stream cannot be had, it polls every
 * `intervalMs` instead: for good if the server has no stream (an older admin
 * API), else while it tries the stream again (resuming from the last event id,
 * so nothing is missed). Server or network trouble is reported once per kind
 * and retried; a 4xx ends the watch.
 */
async function watch(
  client: AdminClient,
  name: string,
  intervalMs: number,
  json: boolean,
  io: CliIo,
): Promise<ExitCode> {
  const printer = new WatchPrinter(json, io);
  let streaming = true;
  let lastEventId: string | undefined;
  let lastProblem: string | undefined;
  const problem = (text: string) => {
    if (text !== lastProblem) io.stderr(`breakwater: ${text}\n`);
    lastProblem = text;
  };
  while (!io.signal?.aborted) {
    if (streaming) {
      let why: string;
      try {
        for await (const e of client.events({ name, ...(lastEventId === undefined ? {} : { lastEventId }) })) {
          if (e.id !== undefined) lastEventId = e.id;
          if (e.event === 'snapshot') printer.snapshot(e.data as BreakerSnapshot);
          else if (e.event === 'transition') printer.transition(e.data as TransitionEventBody);
          else if (e.event === 'removed') problem(`breaker ${name} was removed from the store (still watching)`);
          else if (e.event === 'ready') lastProblem = undefined;
        }
        why = 'the server ended the event stream';
      } catch (err) {
        if (err instanceof AdminRequestAbortedError) break; // Ctrl-C: a watch just stops
        if (noStreamHere(err)) {
          streaming = false;
          problem(`this admin API has no event stream; polling every ${interval(intervalMs)}`);
          continue;
        }
        if (err instanceof AdminRequestError && err.status < 500 && err.status !== 429) return report(err, io);
        why = err instanceof Error ? err.message : String(err);
      }
      problem(`${why} (polling every ${interval(intervalMs)} until the stream is back)`);
    }
    try {
      printer.snapshot(await client.get(name));
      if (!streaming) lastProblem = undefined;
    } catch (err) {
      if (err instanceof AdminRequestAbortedError) break;
      if (err instanceof AdminRequestError && err.status < 500) return report(err, io);
      problem(`${err instanceof Error ? err.message : String(err)} (still watching)`);
    }
    try {
      await sleep(intervalMs, undefined, io.signal ? { signal: io.signal } : {});
    } catch {
      break; // aborted
    }
  }
  return EXIT_CODES.OK;
}

function report(err: unknown, io: CliIo, urlFrom?: CliInvocation['urlFrom']): ExitCode {
  if (err instanceof UsageError) {
    io.stderr(`breakwater: ${err.message}\n`);
    return EXIT_CODES.USAGE;
  }
  if (err instanceof AdminRequestError) {
    const hint = HINTS[err.code] ? ` (${HINTS[err.code]})` : '';
    io.stderr(`breakwater: ${err.status} ${err.code}: ${err.message}${hint}\n`);
    return err.status >= 500 ? EXIT_CODES.SERVER_ERROR : EXIT_CODES.REFUSED;
  }
  if (err instanceof AdminUnreachableError) {
    io.stderr(`breakwater: ${err.message}${urlHint(err, urlFrom)}\n`);
    return EXIT_CODES.UNREACHABLE;
  }
  if (err instanceof AdminRequestAbortedError) {
    io.stderr(
      `breakwater: interrupted: ${err.message}; a change may or may not have been made (check \`breakwater status\`)\n`,
    );
    return EXIT_CODES.INTERRUPTED;
  }
  io.stderr(`breakwater: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT_CODES.SERVER_ERROR;
}
