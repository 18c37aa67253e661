import { isInvalidArgumentError, MemoryBreakerStore } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { buildAdminApp } from './app.js';
import { type AdminAppOptions, DEFAULT_ADMIN_OPTIONS, resolveAdminOptions } from './options.js';
import { TOKEN_CONFIG } from './test-support/admin-fixture.js';

const store = new MemoryBreakerStore();
const base = { store, tokens: TOKEN_CONFIG };

describe('admin options', () => {
  it('fills documented defaults', () => {
    const o = resolveAdminOptions(base);
    expect(o).toMatchObject({
      prefix: DEFAULT_ADMIN_OPTIONS.prefix,
      bodyLimitBytes: 16_384,
      rateLimit: { burst: 10, perMinute: 30 },
      metricsAccess: 'viewer',
      readinessTimeoutMs: 2_000,
      maxListedBreakers: 500,
      events: {
        maxStreams: 100,
        maxStreamsPerToken: 10,
        heartbeatMs: 15_000,
        maxBufferedBytes: 1_048_576,
        registryScanMs: 10_000,
        maxReplayPerBreaker: 100,
      },
    });
    expect(o.tokens.map((t) => t.name)).toEqual(['olga', 'oscar', 'vic', 'ex']);
  });

  it.each<[string, Partial<AdminAppOptions> & Record<string, unknown>, string]>([
    ['a missing store', { store: undefined }, 'options.store'],
    ['a store that is not one', { store: {} as never }, 'options.store'],
    ['no tokens', { tokens: [] }, 'options.tokens'],
    ['0 as body limit (not the default)', { bodyLimitBytes: 0 }, 'options.bodyLimitBytes'],
    ['a huge body limit', { bodyLimitBytes: 10_000_000 }, 'options.bodyLimitBytes'],
    ['a fractional burst', { rateLimit: { burst: 2.5 } }, 'options.rateLimit.burst'],
    ['an unknown rate option', { rateLimit: { windowMs: 1 } as never }, 'options.rateLimit.windowMs'],
    ['an unknown metrics access', { metricsAccess: 'admin' as never }, 'options.metricsAccess'],
    ['a readiness without ping', { readiness: {} as never }, 'options.readiness'],
    ['a too short readiness timeout', { readinessTimeoutMs: 10 }, 'options.readinessTimeoutMs'],
    ['a prefix without slash', { prefix: 'admin' }, 'options.prefix'],
    ['a misspelt option', { bodyLimit: 1_000 }, 'options.bodyLimit'],
    ['a clock that is not a function', { clock: 5 as never }, 'options.clock'],
    ['0 streams (not the default)', { events: { maxStreams: 0 } }, 'options.events.maxStreams'],
    ['a heartbeat past the idle timeout', { events: { heartbeatMs: 60_000 } }, 'options.events.heartbeatMs'],
    ['a stream buffer below 64 KiB', { events: { maxBufferedBytes: 1_024 } }, 'options.events.maxBufferedBytes'],
    ['an unknown event option', { events: { maxEvents: 5 } as never }, 'options.events.maxEvents'],
  ])('buildAdminApp refuses %s, naming it', (_, override, argument) => {
    let caught: unknown;
    try {
      buildAdminApp({ ...base, ...override } as AdminAppOptions);
    } catch (err) {
      caught = err;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
    expect((caught as { argument: string }).argument).toBe(argument);
  });
});
