import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, parseCliArgs, USAGE, UsageError } from './cli-args.js';

const env = { BREAKWATER_TOKEN: 'env-token', BREAKWATER_URL: 'http://admin:8080' };

describe('parseCliArgs', () => {
  it('reads URL and token from the environment, flags winning', () => {
    expect(parseCliArgs(['status'], env)).toMatchObject({
      help: false,
      url: 'http://admin:8080',
      token: 'env-token',
      json: false,
      command: { kind: 'status', name: undefined },
    });
    expect(parseCliArgs(['status', 'pusher', '--json', '--url', 'https://x', '--token', 't'], env)).toMatchObject({
      url: 'https://x',
      token: 't',
      json: true,
      command: { kind: 'status', name: 'pusher' },
    });
    expect(parseCliArgs(['status'], { BREAKWATER_TOKEN: 't' })).toMatchObject({ url: DEFAULT_URL, urlFrom: 'default' });
    expect(parseCliArgs(['status'], env)).toMatchObject({ urlFrom: 'BREAKWATER_URL' });
    expect(parseCliArgs(['status', '--url', 'http://x'], env)).toMatchObject({ urlFrom: '--url' });
  });

  it('turns --ttl into seconds and keeps the reason', () => {
    expect(parseCliArgs(['force-open', 'pusher', '--reason', 'INC-1', '--ttl', '15m'], env).help === false && 1).toBe(
      1,
    );
    expect(parseCliArgs(['force-open', 'pusher', '--reason', 'INC-1', '--ttl', '15m'], env)).toMatchObject({
      command: { kind: 'force-open', name: 'pusher', reason: 'INC-1', ttlSeconds: 900 },
    });
    expect(parseCliArgs(['force-close', 'pusher', '--reason', 'ok', '--ttl', '90'], env)).toMatchObject({
      command: { kind: 'force-close', ttlSeconds: 90 },
    });
    // The API's bounds, both ends included.
    expect(parseCliArgs(['force-open', 'pusher', '--reason', 'x', '--ttl', '10s'], env)).toMatchObject({
      command: { ttlSeconds: 10 },
    });
    expect(parseCliArgs(['force-open', 'pusher', '--reason', 'x', '--ttl', '24h'], env)).toMatchObject({
      command: { ttlSeconds: 86_400 },
    });
  });

  it('parses the other commands', () => {
    expect(parseCliArgs(['clear', 'pusher'], env)).toMatchObject({ command: { kind: 'clear', reason: undefined } });
    expect(parseCliArgs(['reset', 'pusher', '--reason', 'fixed'], env)).toMatchObject({
      command: { kind: 'reset', reason: 'fixed' },
    });
    expect(parseCliArgs(['audit', 'pusher', '--limit', '5'], env)).toMatchObject({
      command: { kind: 'audit', limit: 5 },
    });
    expect(parseCliArgs(['watch', 'pusher', '--interval', '500ms'], env)).toMatchObject({
      command: { kind: 'watch', intervalMs: 500 },
    });
    expect(parseCliArgs(['--help'], env)).toEqual({ help: true });
    expect(parseCliArgs([], {})).toEqual({ help: true });
  });

  it.each([
    [['launch'], 'unknown command "launch"'],
    [['force-open'], 'force-open needs a breaker NAME'],
    [['force-open', 'pusher', '--ttl', '15m'], 'force-open needs --reason'],
    [['force-open', 'pusher', '--reason', 'x'], 'force-open needs --ttl'],
    [['force-open', 'pusher', '--reason', 'x', '--ttl', 'soon'], '--ttl must be a duration'],
    [['force-open', 'pusher', '--reason', 'x', '--ttl', '1500ms'], '--ttl must be whole seconds'],
    [['force-open', 'pusher', '--reason', 'x', '--ttl', '9s'], "--ttl must be 10s to 24h (the API's bounds), got 9s"],
    [
      ['force-close', 'pusher', '--reason', 'x', '--ttl', '24h1s'],
      "--ttl must be 10s to 24h (the API's bounds), got 1d1s",
    ],
    [['force-open', 'pusher', '--reason', 'x', '--ttl', '2d'], '--ttl must be 10s to 24h'],
    [['reset', 'pusher', '--reason', '  '], 'reset needs --reason'],
    [['status', '--limit', '5'], 'status does not take --limit'],
    [['status', 'a', 'b'], 'unexpected argument "b"'],
    [['status', '--bogus'], "Unknown option '--bogus'"],
    [['audit', 'pusher', '--limit', 'ten'], '--limit must be a whole number'],
    [['watch', 'pusher', '--interval', '10ms'], '--interval must be between'],
    [['status', '--url', 'ftp://x'], '--url must be an http(s) URL'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseCliArgs(argv, env)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, env)).toThrow(message);
  });

  it('says in its help that watch streams, polls when it cannot and how often, and what Ctrl-C does', () => {
    expect(USAGE).toContain('a line per transition, live from the event stream');
    expect(USAGE).toContain('polls every DUR (default 2s, 250ms-1m) while it cannot stream');
    expect(USAGE).toContain('--failure-threshold N');
    expect(USAGE).toContain('TTLs: 10s to 24h');
    expect(USAGE).toContain('130 interrupted');
  });

  it('needs a token', () => {
    expect(() => parseCliArgs(['status'], {})).toThrow('no token: set BREAKWATER_TOKEN');
  });
});
