import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_AGENT } from './transport/user-agent.js';
import { VERSION } from './version.js';

describe('VERSION', () => {
  it('is the version in package.json, and the default User-Agent carries it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(DEFAULT_USER_AGENT).toBe(`breakwater-listen-client/${pkg.version} (node/${process.versions.node})`);
  });
});
