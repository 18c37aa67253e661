import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, parseCliArgs, UsageError } from './cli-args.js';

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
    expect(parseCliArgs(['status'], { BREAKWATER_TOKEN: 't' })).toMatchObject({ url: DEFAULT_URL });
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

  it('needs a token', () => {
    expect(() => parseCliArgs(['status'], {})).toThrow('no token: set BREAKWATER_TOKEN');
  });
});
