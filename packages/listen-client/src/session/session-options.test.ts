import { isInvalidArgumentError } from '@breakwater/breaker-core';
import { describe, expect, it } from 'vitest';
import { FakeBreaker } from '../testing/fake-breaker.js';
import { DEFAULT_USER_AGENT } from '../transport/user-agent.js';
import { DEFAULT_PUSHER_SESSION_OPTIONS, listenUrl, resolveSessionOptions } from './session-options.js';

const base = { pusherUrl: 'wss://pusher.example/', uid: 'u', breaker: new FakeBreaker(), fallback: () => 'ok' };

function argumentOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isInvalidArgumentError(err)) return err.argument;
    throw err;
  }
  return undefined;
}

describe('session options', () => {
  it('fills the documented defaults', () => {
    const o = resolveSessionOptions(base);
    for (const [key, value] of Object.entries(DEFAULT_PUSHER_SESSION_OPTIONS))
      expect(o[key as keyof typeof o]).toBe(value);
    expect(DEFAULT_PUSHER_SESSION_OPTIONS).toMatchObject({
      connectTimeoutMs: 3_000,
      quickRetries: 3,
      quickRetryBaseMs: 250,
      quickRetryMaxMs: 2_000,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      degradeAfterFailures: 6,
      degradedProbeIntervalMs: 60_000,
      heartbeatIntervalMs: 20_000,
      transcriptBufferSize: 1_000,
      probeConfirmMs: 1_000,
      transcriptBufferBytes: 524_288,
      rememberConversations: 1_000,
      rememberConversationsMs: 600_000,
    });
    expect(o.url).toBe('wss://pusher.example/v1/trigger/listen?uid=u&sample_rate=16000');
    expect(o.userAgent).toBe(DEFAULT_USER_AGENT);
    expect(DEFAULT_USER_AGENT).toMatch(/^breakwater-listen-client\/\d+\.\d+\.\d+ \(node\/\d+\.\d+\.\d+\)$/);
  });

  it('takes a userAgent of 1–256 printable ASCII characters as given', () => {
    for (const userAgent of ['x', `${DEFAULT_USER_AGENT} listen/2.3.1`, 'a'.repeat(256)]) {
      expect(resolveSessionOptions({ ...base, userAgent }).userAgent).toBe(userAgent);
    }
  });

  it.each([
    ['', /1–256 characters, got 0/],
    ['a'.repeat(257), /1–256 characters, got 257/],
    ['listen\r\nX-Evil: 1', /printable ASCII only/],
    ['lístén', /printable ASCII only/],
    [' listen', /no leading or trailing spaces/],
    [42, /expected a string, got number/],
  ])('rejects the userAgent %j, saying what is allowed', (userAgent, message) => {
    expect(() => resolveSessionOptions({ ...base, userAgent } as never)).toThrow(message);
    expect(argumentOf(() => resolveSessionOptions({ ...base, userAgent } as never))).toBe('options.userAgent');
  });

  it.each([
    [{ pusherUrl: 'http://pusher' }, 'options.pusherUrl'],
    [{ pusherUrl: 'not a url' }, 'options.pusherUrl'],
    [{ pusherUrl: 'ws://pusher?x=1' }, 'options.pusherUrl'],
    [{ pusherUrl: 42 }, 'options.pusherUrl'],
    [{ uid: '' }, 'options.uid'],
    [{ uid: 'x'.repeat(257) }, 'options.uid'],
    [{ breaker: {} }, 'options.breaker'],
    [{ fallback: 'nope' }, 'options.fallback'],
    [{ ramp: {} }, 'options.ramp'],
    [{ logger: {} }, 'options.logger'],
    [{ registry: {} }, 'options.registry'],
    [{ clock: () => 0 }, 'options.clock'],
    [{ random: 1 }, 'options.random'],
    [{ dialer: 'ws' }, 'options.dialer'],
    [{ sessionId: '' }, 'options.sessionId'],
    [{ sampleRate: 0 }, 'options.sampleRate'],
    [{ connectTimeoutMs: 0 }, 'options.connectTimeoutMs'],
    [{ connectTimeoutMs: '3000' }, 'options.connectTimeoutMs'],
    [{ quickRetries: 11 }, 'options.quickRetries'],
    [{ quickRetryMaxMs: 100 }, 'options.quickRetryMaxMs'],
    [{ backoffBaseMs: 1.5 }, 'options.backoffBaseMs'],
    [{ backoffMaxMs: 500 }, 'options.backoffMaxMs'],
    [{ backoffJitter: 1.5 }, 'options.backoffJitter'],
    [{ degradeAfterFailures: 0 }, 'options.degradeAfterFailures'],
    [{ degradedProbeIntervalMs: -1 }, 'options.degradedProbeIntervalMs'],
    [{ heartbeatIntervalMs: Number.POSITIVE_INFINITY }, 'options.heartbeatIntervalMs'],
    [{ transcriptBufferSize: -1 }, 'options.transcriptBufferSize'],
    [{ probeConfirmMs: -1 }, 'options.probeConfirmMs'],
    [{ transcriptBufferBytes: -1 }, 'options.transcriptBufferBytes'],
    [{ rememberConversationsMs: 1.5 }, 'options.rememberConversationsMs'],
    [{ probeConfirmMs: 600_001 }, 'options.probeConfirmMs'],
    [{ conversationTimeoutMs: 0 }, 'options.conversationTimeoutMs'],
    [{ heartbeatMs: 1 }, 'options.heartbeatMs'],
  ])('rejects %o naming %s', (bad, argument) => {
    expect(argumentOf(() => resolveSessionOptions({ ...base, ...bad } as never))).toBe(argument);
  });

  it('keeps 0 where 0 is allowed (no `|| default`)', () => {
    const o = resolveSessionOptions({ ...base, quickRetries: 0, transcriptBufferSize: 0, backoffJitter: 0 });
    expect([o.quickRetries, o.transcriptBufferSize, o.backoffJitter]).toEqual([0, 0, 0]);
  });

  it('builds the listen URL under a base path', () => {
    expect(listenUrl('ws://h:1/base/', 'a&b=c', 8_000)).toBe(
      'ws://h:1/base/v1/trigger/listen?uid=a%26b%3Dc&sample_rate=8000',
    );
  });
});
