import { readFileSync } from 'node:fs';

/**
 * Loads the Lua scripts from ../lua, inlining `--- @include "includes/x"` lines
 * (each include once per script, bullmq style). Scripts are registered with
 * ioredis `defineCommand` under a versioned name, so a deploy that changes a
 * script never calls an older cached copy by mistake.
 */
export const SCRIPT_VERSION = 1;

export const SCRIPTS = {
  register: 'register-5',
  recordOutcomes: 'record-outcomes-5',
  readSnapshot: 'read-snapshot-5',
  acquireProbe: 'acquire-probe-5',
  reportProbe: 'report-probe-5',
  setOverride: 'set-override-5',
  clearOverride: 'clear-override-5',
  reset: 'reset-5',
  updateConfig: 'update-config-5',
} as const;

export type ScriptName = keyof typeof SCRIPTS;

export interface LoadedScript {
  /** The ioredis command name, e.g. `bw1_recordOutcomes`. */
  readonly command: string;
  readonly numberOfKeys: number;
  readonly lua: string;
}

const LUA_DIR = new URL('../lua/', import.meta.url);
const INCLUDE = /^--- @include "([a-z0-9/_-]+)"\s*$/gm;

let cache: Record<ScriptName, LoadedScript> | undefined;
const single = new Map<string, LoadedScript>();
const definedOn = new WeakMap<object, Set<string>>();

export function loadScripts(): Record<ScriptName, LoadedScript> {
  cache ??= Object.fromEntries(
    (Object.keys(SCRIPTS) as ScriptName[]).map((name) => {
      const file = SCRIPTS[name];
      const numberOfKeys = Number(file.slice(file.lastIndexOf('-') + 1));
      return [name, { command: `bw${SCRIPT_VERSION}_${name}`, numberOfKeys, lua: expand(file, new Set()) }];
    }),
  ) as Record<ScriptName, LoadedScript>;
  return cache;
}

/**
 * One script outside the breaker's set (e.g. `ramp-exchange-1`), loaded once and
 * named `bw<version>_<name>` like the others.
 */
export function loadScript(name: string, file: string): LoadedScript {
  let script = single.get(file);
  if (!script) {
    const numberOfKeys = Number(file.slice(file.lastIndexOf('-') + 1));
    script = { command: `bw${SCRIPT_VERSION}_${name}`, numberOfKeys, lua: expand(file, new Set()) };
    single.set(file, script);
  }
  return script;
}

/** Defines `script` on `client` (ioredis `defineCommand`) once; later calls are no-ops. */
export function defineScript(
  client: { defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void },
  script: LoadedScript,
): void {
  let names = definedOn.get(client);
  if (!names) {
    names = new Set();
    definedOn.set(client, names);
  }
  if (names.has(script.command)) return;
  client.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  names.add(script.command);
}

function expand(file: string, seen: Set<string>): string {
  const source = readFileSync(new URL(`${file}.lua`, LUA_DIR), 'utf8');
  return source.replace(INCLUDE, (_line, include: string) => {
    if (seen.has(include)) return '';
    seen.add(include);
    return expand(include, seen);
  });
}
