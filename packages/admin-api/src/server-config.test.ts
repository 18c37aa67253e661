import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_CONFIG, loadServerConfig } from './server-config.js';

const TOKENS = JSON.stringify([{ name: 'olga', role: 'operator', token: 'operator-secret-000000001' }]);
const base = { REDIS_URL: 'redis://redis:6379/0', BREAKWATER_ADMIN_TOKENS: TOKENS };

function refusal(env: NodeJS.ProcessEnv, readFile?: (path: string) => string): { argument: string; message: string } {
  try {
    loadServerConfig(env, readFile);
  } catch (err) {
    expect(isInvalidArgumentError(err)).toBe(true);
    return err as { argument: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('loadServerConfig', () => {
  it('applies documented defaults', () => {
    expect(loadServerConfig(base)).toMatchObject({
      redisUrl: 'redis://redis:6379/0',
      host: DEFAULT_SERVER_CONFIG.host,
      port: 8080,
      keyPrefix: 'bw',
      logLevel: 'info',
      metricsAccess: 'viewer',
      rateBurst: 10,
      ratePerMinute: 30,
      shutdownTimeoutMs: 10_000,
      tokens: [{ name: 'olga', role: 'operator', token: 'operator-secret-000000001' }],
    });
  });

  it('reads everything from the environment, PORT=0 included', () => {
    const config = loadServerConfig({
      ...base,
      HOST: '0.0.0.0',
      PORT: '0',
      BREAKWATER_KEY_PREFIX: 'prod',
      LOG_LEVEL: 'warn',
      BREAKWATER_ADMIN_METRICS_ACCESS: 'public',
      BREAKWATER_ADMIN_RATE_BURST: '3',
      BREAKWATER_ADMIN_RATE_PER_MINUTE: '12',
      BREAKWATER_ADMIN_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      keyPrefix: 'prod',
      logLevel: 'warn',
      metricsAccess: 'public',
      rateBurst: 3,
      ratePerMinute: 12,
      shutdownTimeoutMs: 2_000,
    });
  });

  it('reads tokens from a file', () => {
    const config = loadServerConfig(
      { REDIS_URL: base.REDIS_URL, BREAKWATER_ADMIN_TOKENS_FILE: '/etc/breakwater/tokens.json' },
      (path) => (path === '/etc/breakwater/tokens.json' ? TOKENS : ''),
    );
    expect(config.tokens).toHaveLength(1);
  });

  it('takes the master from the sentinels: addresses, master name, passwords; waits for one replica', () => {
    const config = loadServerConfig({
      BREAKWATER_ADMIN_TOKENS: TOKENS,
      BREAKWATER_REDIS_SENTINELS: 'sentinel-0:26379, 10.0.0.7:26380,[fd00::1]:26381',
      BREAKWATER_REDIS_SENTINEL_NAME: 'mymaster',
      BREAKWATER_REDIS_PASSWORD: 'data-secret',
      BREAKWATER_REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(config).toMatchObject({
      sentinel: {
        sentinels: [
          { host: 'sentinel-0', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
          { host: 'fd00::1', port: 26381 },
        ],
        name: 'mymaster',
        password: 'data-secret',
        sentinelPassword: 'sentinel-secret',
      },
      waitReplicas: 1,
      waitTimeoutMs: 1_000,
    });
    expect(config.redisUrl).toBeUndefined();
    expect(config.cluster).toBeUndefined();
  });

  it('takes a Redis Cluster from some of its nodes', () => {
    const config = loadServerConfig({
      BREAKWATER_ADMIN_TOKENS: TOKENS,
      BREAKWATER_REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379',
      BREAKWATER_ADMIN_WAIT_REPLICAS: '0',
    });
    expect(config).toMatchObject({
      cluster: {
        nodes: [
          { host: 'redis-0', port: 6379 },
          { host: 'redis-1', port: 6379 },
        ],
      },
      waitReplicas: 0,
    });
    expect(config.cluster?.password).toBeUndefined();
  });

  it('does not wait for replicas behind REDIS_URL unless told to', () => {
    expect(loadServerConfig(base).waitReplicas).toBe(0);
    expect(
      loadServerConfig({ ...base, BREAKWATER_ADMIN_WAIT_REPLICAS: '2', BREAKWATER_ADMIN_WAIT_TIMEOUT_MS: '500' }),
    ).toMatchObject({ waitReplicas: 2, waitTimeoutMs: 500 });
  });

  const sentinelEnv = {
    BREAKWATER_ADMIN_TOKENS: TOKENS,
    BREAKWATER_REDIS_SENTINELS: 's0:26379',
    BREAKWATER_REDIS_SENTINEL_NAME: 'mymaster',
  };
  const clusterEnv = { BREAKWATER_ADMIN_TOKENS: TOKENS, BREAKWATER_REDIS_CLUSTER_NODES: 'r0:6379' };

  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['REDIS_URL and the sentinels', { ...sentinelEnv, REDIS_URL: base.REDIS_URL }, 'BREAKWATER_REDIS_SENTINELS'],
    ['the sentinels and a cluster', { ...sentinelEnv, ...clusterEnv }, 'BREAKWATER_REDIS_CLUSTER_NODES'],
    ['REDIS_URL and a cluster', { ...clusterEnv, REDIS_URL: base.REDIS_URL }, 'BREAKWATER_REDIS_CLUSTER_NODES'],
    [
      'sentinels without a master name',
      { ...sentinelEnv, BREAKWATER_REDIS_SENTINEL_NAME: '' },
      'BREAKWATER_REDIS_SENTINEL_NAME',
    ],
    [
      'a master name with a space',
      { ...sentinelEnv, BREAKWATER_REDIS_SENTINEL_NAME: 'my master' },
      'BREAKWATER_REDIS_SENTINEL_NAME',
    ],
    [
      'a master name without sentinels',
      { ...base, BREAKWATER_REDIS_SENTINEL_NAME: 'mymaster' },
      'BREAKWATER_REDIS_SENTINEL_NAME',
    ],
    [
      'a sentinel password with a cluster',
      { ...clusterEnv, BREAKWATER_REDIS_SENTINEL_PASSWORD: 'x' },
      'BREAKWATER_REDIS_SENTINEL_PASSWORD',
    ],
    ['a password beside REDIS_URL', { ...base, BREAKWATER_REDIS_PASSWORD: 'x' }, 'BREAKWATER_REDIS_PASSWORD'],
    ['a sentinel without a port', { ...sentinelEnv, BREAKWATER_REDIS_SENTINELS: 's0' }, 'BREAKWATER_REDIS_SENTINELS'],
    ['port 0', { ...sentinelEnv, BREAKWATER_REDIS_SENTINELS: 's0:0' }, 'BREAKWATER_REDIS_SENTINELS'],
    [
      'a port out of range',
      { ...clusterEnv, BREAKWATER_REDIS_CLUSTER_NODES: 'r0:6379,r1:65536' },
      'BREAKWATER_REDIS_CLUSTER_NODES',
    ],
    [
      'an empty item',
      { ...clusterEnv, BREAKWATER_REDIS_CLUSTER_NODES: 'r0:6379,,r1:6379' },
      'BREAKWATER_REDIS_CLUSTER_NODES',
    ],
    [
      'a URL instead of host:port',
      { ...clusterEnv, BREAKWATER_REDIS_CLUSTER_NODES: 'redis://r0:6379' },
      'BREAKWATER_REDIS_CLUSTER_NODES',
    ],
    [
      'six replicas to wait for',
      { ...sentinelEnv, BREAKWATER_ADMIN_WAIT_REPLICAS: '6' },
      'BREAKWATER_ADMIN_WAIT_REPLICAS',
    ],
    [
      'a wait longer than the command timeout allows',
      { ...sentinelEnv, BREAKWATER_ADMIN_WAIT_TIMEOUT_MS: '2000' },
      'BREAKWATER_ADMIN_WAIT_TIMEOUT_MS',
    ],
  ])('refuses %s, naming the variable', (_, env, argument) => {
    expect(refusal(env).argument).toBe(argument);
  });

  it('never echoes a Redis password', () => {
    const err = refusal({ ...base, BREAKWATER_REDIS_PASSWORD: 'hunter2-redis' });
    expect(err.message).not.toContain('hunter2');
  });

  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['no Redis at all', { BREAKWATER_ADMIN_TOKENS: TOKENS }, 'REDIS_URL'],
    ['a REDIS_URL that is not redis://', { ...base, REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    ['no tokens', { REDIS_URL: base.REDIS_URL }, 'BREAKWATER_ADMIN_TOKENS'],
    ['both token sources', { ...base, BREAKWATER_ADMIN_TOKENS_FILE: '/x' }, 'BREAKWATER_ADMIN_TOKENS'],
    [
      'tokens that are not JSON',
      { ...base, BREAKWATER_ADMIN_TOKENS: 'olga:operator:s3cret' },
      'BREAKWATER_ADMIN_TOKENS',
    ],
    ['tokens that are not an array', { ...base, BREAKWATER_ADMIN_TOKENS: '{}' }, 'BREAKWATER_ADMIN_TOKENS'],
    [
      'an invalid token',
      { ...base, BREAKWATER_ADMIN_TOKENS: '[{"name":"a","role":"root","token":"x"}]' },
      'BREAKWATER_ADMIN_TOKENS[0].role',
    ],
    ['a non-numeric PORT', { ...base, PORT: '80a' }, 'PORT'],
    ['a PORT out of range', { ...base, PORT: '70000' }, 'PORT'],
    ['an unknown LOG_LEVEL', { ...base, LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [
      'an unknown metrics access',
      { ...base, BREAKWATER_ADMIN_METRICS_ACCESS: 'admin' },
      'BREAKWATER_ADMIN_METRICS_ACCESS',
    ],
    ['a zero burst', { ...base, BREAKWATER_ADMIN_RATE_BURST: '0' }, 'BREAKWATER_ADMIN_RATE_BURST'],
  ])('refuses %s, naming the variable', (_, env, argument) => {
    expect(refusal(env).argument).toBe(argument);
  });

  it('never echoes token JSON it could not parse', () => {
    const secret = 'olga:operator:super-secret-value';
    expect(refusal({ ...base, BREAKWATER_ADMIN_TOKENS: secret }).message).not.toContain('super-secret');
  });

  it('says which file it could not read', () => {
    const err = refusal({ REDIS_URL: base.REDIS_URL, BREAKWATER_ADMIN_TOKENS_FILE: '/nope.json' }, () => {
      throw new Error('ENOENT: no such file');
    });
    expect(err.message).toContain('cannot read /nope.json: ENOENT');
  });
});
