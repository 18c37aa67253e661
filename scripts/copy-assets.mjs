// Copies non-TypeScript assets (Lua scripts, the admin web page) from src/ to dist/ after tsc.
// Tests and type declarations beside them (`*.test.*`, `*.d.ts`) stay behind.
// Usage: node scripts/copy-assets.mjs <from-dir> <to-dir>
import { cpSync, existsSync } from 'node:fs';

const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: copy-assets.mjs <from-dir> <to-dir>');
  process.exit(2);
}
if (!existsSync(from)) {
  console.error(`copy-assets: ${from} does not exist`);
  process.exit(1);
}
cpSync(from, to, { recursive: true, filter: (path) => !/\.test\.[cm]?[jt]s$|\.d\.ts$/.test(path) });
