/**
 * `pnpm bench:against <git-ref>`: the hot-path suite on this checkout and on an
 * earlier commit, side by side in one run, interleaved round by round (ref,
 * here, ref, here, …) so drift on a shared machine hits both alike. Prints
 * min / median / max per figure and side. The ref is checked out into a
 * temporary git worktree with its own locked install, removed afterwards.
 *
 *   pnpm bench:against 8d7b7a8              3 rounds
 *   pnpm bench:against main~5 --rounds 5
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, median } from './stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '3' } },
});
const ref = positionals[0];
const rounds = Number(values.rounds);
if (!ref || !Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
  console.error('usage: pnpm bench:against <git-ref> [--rounds 1-50]   (default 3 rounds)');
  process.exit(2);
}

const here = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const short = (dir: string, r = 'HEAD') =>
  execFileSync('git', ['-C', dir, 'rev-parse', '--short', r], { encoding: 'utf8' }).trim();
const base = mkdtempSync(join(tmpdir(), 'bw-bench-against-'));
const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** One hot-path run: the figure of each row (ns/op; for execute(), the overhead over `await fn()`). */
function run(cwd: string): Map<string, number> {
  const out = sh('pnpm', ['--silent', 'bench', '--only', 'hot-path', '--no-write'], cwd);
  const figures = new Map<string, number>();
  for (const line of out.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const name = cells[0];
    if (!name || name.startsWith('-') || Number.isNaN(Number(cells[1]))) continue;
    figures.set(name, Number(cells.length === 2 ? cells[1] : cells[2]));
  }
  if (figures.size === 0) throw new Error(`no figures in the output of pnpm bench in ${cwd}:\n${out}`);
  return figures;
}

try {
  console.log(`checking out ${ref} into ${base} …`);
  sh('git', ['worktree', 'add', '--detach', base, ref], here);
  sh('pnpm', ['install', '--frozen-lockfile', '--silent'], base);
  const sides = [
    { label: ref === short(base) ? ref : `${ref} (${short(base)})`, cwd: base, runs: [] as Map<string, number>[] },
    { label: `this checkout (${short(here)})`, cwd: here, runs: [] as Map<string, number>[] },
  ];
  for (let round = 1; round <= rounds; round++) {
    for (const side of sides) {
      console.log(`round ${round}/${rounds}: ${side.label}`);
      side.runs.push(run(side.cwd));
    }
  }
  const [before, after] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const stat = (runs: Map<string, number>[], name: string) => {
    const xs = runs.map((r) => r.get(name)).filter((x): x is number => x !== undefined);
    return xs.length === 0 ? '—' : `${fmt(Math.min(...xs), 1)} / ${fmt(median(xs), 1)} / ${fmt(Math.max(...xs), 1)}`;
  };
  console.log(
    `\nns/op (execute(): overhead over \`await fn()\`), min / median / max over ${rounds} interleaved rounds\n`,
  );
  console.log(`| figure | ${before.label} | ${after.label} |`);
  console.log('|---|---:|---:|');
  for (const name of before.runs[0]?.keys() ?? []) {
    if (name.startsWith('baseline')) continue; // the reference the overheads are measured from
    console.log(`| ${name} | ${stat(before.runs, name)} | ${stat(after.runs, name)} |`);
  }
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', base], { cwd: here, stdio: 'ignore' });
  rmSync(base, { recursive: true, force: true });
}
