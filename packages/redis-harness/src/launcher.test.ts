import { describe, expect, it } from 'vitest';
import { chooseLauncher, type RedisLauncher } from './launcher.js';

describe('chooseLauncher', () => {
  it('without a redis-server binary or Docker, says how to install Redis', async () => {
    await expect(chooseLauncher(undefined, async () => undefined)).rejects.toThrow(/apt-get install -y redis-server/);
  });

  it('prefers a local binary and asks Docker only when there is none', async () => {
    let asked = 0;
    const docker: RedisLauncher = { kind: 'docker', launch: async () => Promise.reject(new Error('unused')) };
    const viaDocker = async () => {
      asked++;
      return docker;
    };
    expect((await chooseLauncher('/usr/bin/redis-server', viaDocker)).kind).toBe('local');
    expect(asked).toBe(0);
    expect(await chooseLauncher(undefined, viaDocker)).toBe(docker);
    expect(asked).toBe(1);
  });
});
