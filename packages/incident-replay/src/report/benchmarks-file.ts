import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces one marked section of BENCHMARKS.md, keeping the others: `pnpm bench`
 * writes `breaker-core`, `pnpm demo --write-benchmarks` writes `incident-replay`.
 */
export function writeBenchmarkSection(file: URL | string, name: string, body: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text =
      '# Benchmarks\n\nEvery figure here is produced by a command in this repository, with the machine it ran on.\n';
  }
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n## ${name}\n\n${body.trimEnd()}\n${end}`;
  const at = text.indexOf(start);
  const next =
    at >= 0
      ? `${text.slice(0, at)}${block}${text.slice(text.indexOf(end) + end.length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

/** Replaces the text between two marker comments in a file (e.g. the replay table in README.md). */
export function replaceBetweenMarkers(file: URL | string, name: string, body: string): boolean {
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const at = text.indexOf(start);
  const until = text.indexOf(end);
  if (at < 0 || until < at) return false;
  writeFileSync(file, `${text.slice(0, at + start.length)}\n${body.trimEnd()}\n${text.slice(until)}`);
  return true;
}
