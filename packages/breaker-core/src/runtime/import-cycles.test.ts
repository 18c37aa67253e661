import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * runtime/ stays free of import cycles (type-only imports included): its parts
 * are wired in one direction, so each can be read, tested and changed after
 * the ones it uses. The graph is read from the sources' relative imports; no
 * dependency needed.
 */

const RUNTIME = dirname(fileURLToPath(import.meta.url));

/** Every specifier of `import … from`, `export … from`, `import '…'` and `import('…')` in `source`. */
function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(?\s*['"]([^'"]+)['"]/g];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1] as string);
  return found;
}

/** File (relative to `root`, posix) → the files under `root` it imports; test files left out. */
function importGraph(root: string): Map<string, string[]> {
  const files = (readdirSync(root, { recursive: true }) as string[])
    .map((f) => f.split(sep).join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(join(root, file), 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => posix.normalize(posix.join(posix.dirname(file), s)).replace(/\.js$/, '.ts'))
      .filter((target) => !target.startsWith('..'));
    graph.set(file, targets);
  }
  return graph;
}

/** One cycle (its files, the first repeated at the end), or null when the graph has none. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    const at = path.indexOf(file);
    if (at >= 0) return [...path.slice(at), file];
    if (done.has(file)) return null;
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(file);
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe('runtime/ import graph', () => {
  it('reads every form of relative import, type-only ones included', () => {
    const source = [
      "import { a } from './a.js';",
      "import type {\n  B,\n  C,\n} from './b.js';",
      "export { d } from '../d.js';",
      "export type * from './e.js';",
      "import './f.js';",
      "const g = await import('./g.js');",
      "import { Redis } from 'ioredis';",
      "// a bare specifier (a package, or import from 'words' in a comment) is never followed",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(
      expect.arrayContaining(['./a.js', './b.js', '../d.js', './e.js', './f.js', './g.js', 'ioredis']),
    );
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(findCycle(graph)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['a.ts']]]))).toEqual(['a.ts', 'a.ts']);
    expect(findCycle(new Map([...graph, ['c.ts', []]]))).toBeNull();
  });

  it('has no cycle', () => {
    const graph = importGraph(RUNTIME);
    // The graph is really read: the breaker reaches storage through the FailoverStore.
    expect(graph.get('cluster-breaker.ts')).toContain('failover-store.ts');
    expect(graph.get('testing/memory-fleet.ts')).toContain('create-cluster-breaker.ts');
    for (const [file, targets] of graph) {
      for (const target of targets) expect(graph.has(target), `${file} imports ${target}`).toBe(true);
    }
    const cycle = findCycle(graph);
    expect(
      cycle,
      cycle ? `import cycle: ${cycle.join(' → ')} (in ${relative(process.cwd(), RUNTIME)})` : '',
    ).toBeNull();
  });
});
