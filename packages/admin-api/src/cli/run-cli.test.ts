import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AdminFixture, adminFixture, SECRETS, T0 } from '../test-support/admin-fixture.js';
import { VERSION } from '../version.js';
import { EXIT_CODES } from './exit-codes.js';
import { type CliIo, runCli } from './run-cli.js';

/** fetch() answered by app.inject(): the CLI end to end, without a port. */
function injectFetch(app: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: init?.headers as Record<string, string>,
      ...(init?.body === undefined ? {} : { payload: init.body as string }),
    });
    return new Response(res.body, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

/** An admin API from before the event stream: GET /v1/events is 404 ROUTE_NOT_FOUND, so watch polls. */
function withoutStream(inner: typeof fetch): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    if (String(input).includes('/v1/events')) {
      const body = { statusCode: 404, code: 'ROUTE_NOT_FOUND', message: 'no route GET /v1/events' };
      return new Response(JSON.stringify(body), { status: 404, headers: { 'content-type': 'application/json' } });
    }
    return inner(input, init);
  }) as typeof fetch;
}

/** A stream response whose body the test writes. */
function sseResponse(): { response: Response; send(text: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
    send: (text) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('runCli', () => {
  let f: AdminFixture;
  afterEach(() => f.app.close());

  async function cli(argv: string[], extra: Partial<CliIo> = {}, token: string = SECRETS.operator): Promise<Run> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { BREAKWATER_URL: 'http://admin.test', BREAKWATER_TOKEN: token },
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      fetch: injectFetch(f.app),
      ...extra,
    });
    return { code, stdout, stderr };
  }

  it('status prints a table of every breaker, or one breaker in detail', async () => {
    f = await adminFixture();
    const all = await cli(['status']);
    expect(all.code).toBe(EXIT_CODES.OK);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAME\s+STATE\s+GEN\s+FAILURES/);
    expect(all.stdout).toMatch(/billing\s+closed\s+0/);
    expect(all.stdout).toMatch(/pusher\s+closed\s+0/);

    const one = await cli(['status', 'pusher']);
    expect(one.stdout).toContain('state           closed');
    expect(one.stdout).toContain(
      'rules           trip at 20 failures (≥50% of calls) in 30s; cooldown 1s, ×2 per failed probe up to 3s',
    );
  });

  it('force-open, audit, clear: the mutation flow an SRE runs', async () => {
    f = await adminFixture();
    const open = await cli(['force-open', 'pusher', '--reason', 'pusher 5xx INC-7', '--ttl', '15m']);
    expect(open).toEqual({
      code: 0,
      stdout: `pusher: forced_open (generation 1, automatic closed), forced_open by olga until ${new Date(T0 + 900_000).toISOString().replace('.000', '')}: pusher 5xx INC-7\n`,
      stderr: '',
    });
    const detail = await cli(['status', 'pusher']);
    expect(detail.stdout).toContain('(in 15m): pusher 5xx INC-7');

    const audit = await cli(['audit', 'pusher', '--limit', '5']);
    expect(audit.stdout).toMatch(/force_open\s+closed\s+forced_open\s+1\s+olga\s+pusher 5xx INC-7/);

    const clear = await cli(['clear', 'pusher', '--reason', 'recovered']);
    expect(clear.stdout).toBe('pusher: closed (generation 2)\n');
    const json = await cli(['audit', 'pusher', '--json']);
    expect(JSON.parse(json.stdout).entries.map((e: { action: string }) => e.action)).toEqual([
      'clear_override',
      'force_open',
    ]);
  });

  it('--json prints the API reply', async () => {
    f = await adminFixture();
    const run = await cli(['reset', 'pusher', '--reason', 'fixed', '--json']);
    expect(JSON.parse(run.stdout)).toEqual(await f.store.snapshot('pusher'));
  });

  it('exits 1 with the code and a hint when the server refuses', async () => {
    f = await adminFixture();
    expect(await cli(['status', 'ghost'])).toEqual({
      code: EXIT_CODES.REFUSED,
      stdout: '',
      stderr:
        'breakwater: 404 BREAKER_NOT_FOUND: breaker "ghost" does not exist in the store (see `breakwater status` for the names)\n',
    });
    const viewer = await cli(['reset', 'pusher', '--reason', 'x'], {}, SECRETS.viewer);
    expect(viewer.code).toBe(EXIT_CODES.REFUSED);
    expect(viewer.stderr).toContain('403 FORBIDDEN');
    const long = await cli(['force-open', 'pusher', '--reason', 'r'.repeat(501), '--ttl', '15m']);
    expect(long).toMatchObject({ code: EXIT_CODES.REFUSED, stdout: '' });
    expect(long.stderr).toBe('breakwater: 400 INVALID_REQUEST: body/reason: must NOT have more than 500 characters\n');
    expect((await f.store.snapshot('pusher')).generation).toBe(0);
  });

  it('exits 2 on a bad command line, sending nothing', async () => {
    f = await adminFixture();
    let sent = 0;
    const counting = (async () => {
      sent += 1;
      return new Response('{}');
    }) as typeof fetch;
    const run = await cli(['force-open', 'pusher', '--ttl', '15m'], { fetch: counting });
    expect(run).toEqual({ code: EXIT_CODES.USAGE, stdout: '', stderr: 'breakwater: force-open needs --reason\n' });
    // The TTL range is the API's, checked before anything is sent.
    for (const ttl of ['5s', '25h']) {
      const outOfRange = await cli(['force-open', 'pusher', '--reason', 'x', '--ttl', ttl], { fetch: counting });
      expect(outOfRange.code).toBe(EXIT_CODES.USAGE);
      expect(outOfRange.stderr).toMatch(/^breakwater: --ttl must be 10s to 24h/);
    }
    expect(sent).toBe(0);
    expect((await cli(['--help'])).stdout).toContain('Usage: breakwater <command>');
  });

  it('exits 3 on a server error and 4 when the server cannot be reached', async () => {
    f = await adminFixture();
    const failing = (async () =>
      new Response(JSON.stringify({ statusCode: 503, code: 'STORE_UNAVAILABLE', message: 'redis down' }), {
        status: 503,
      })) as typeof fetch;
    const down = await cli(['status'], { fetch: failing });
    expect(down.code).toBe(EXIT_CODES.SERVER_ERROR);
    expect(down.stderr).toContain('503 STORE_UNAVAILABLE: redis down');

    let defaultStderr = '';
    const refused = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    }) as typeof fetch;
    expect(await cli(['status'], { fetch: refused })).toEqual({
      code: EXIT_CODES.UNREACHABLE,
      stdout: '',
      stderr: 'breakwater: cannot reach http://admin.test: ECONNREFUSED (is BREAKWATER_URL the admin API?)\n',
    });
    const byDefault = await runCli(['status'], {
      env: { BREAKWATER_TOKEN: SECRETS.viewer },
      stdout: () => {},
      stderr: (t) => {
        defaultStderr += t;
      },
      fetch: refused,
    });
    expect(byDefault).toBe(EXIT_CODES.UNREACHABLE);
    expect(defaultStderr).toBe(
      'breakwater: cannot reach http://127.0.0.1:8080: ECONNREFUSED ' +
        '(BREAKWATER_URL is not set, so http://127.0.0.1:8080 is the default: set it to the admin API)\n',
    );
    expect((await cli(['status', '--url', 'http://other.test'], { fetch: refused })).stderr).toBe(
      'breakwater: cannot reach http://other.test: ECONNREFUSED (is --url the admin API?)\n',
    );
    const notTheApi = (async () => new Response('<html>proxy</html>', { status: 200 })) as typeof fetch;
    expect((await cli(['status'], { fetch: notTheApi })).code).toBe(EXIT_CODES.UNREACHABLE);
  });

  it('Ctrl-C abandons a request that gets no answer: exit 130, saying a change may have happened', async () => {
    f = await adminFixture();
    const stop = new AbortController();
    // A server that never answers: only the request's own signal ends the wait.
    const hanging = ((_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        stop.abort(); // the SRE presses Ctrl-C while the request is in flight
      })) as typeof fetch;
    const run = await cli(['force-open', 'pusher', '--reason', 'x', '--ttl', '15m'], {
      fetch: hanging,
      signal: stop.signal,
    });
    expect(run).toEqual({
      code: EXIT_CODES.INTERRUPTED,
      stdout: '',
      stderr:
        'breakwater: interrupted: POST http://admin.test/v1/breakers/pusher/force-open abandoned before the answer came; ' +
        'a change may or may not have been made (check `breakwater status`)\n',
    });

    // In watch, Ctrl-C during a poll just ends the watch.
    const stopWatch = new AbortController();
    const hangingPoll = ((_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        stopWatch.abort();
      })) as typeof fetch;
    const watched = await cli(['watch', 'pusher'], { fetch: hangingPoll, signal: stopWatch.signal });
    expect(watched).toEqual({ code: EXIT_CODES.OK, stdout: '', stderr: '' });
  });

  it('watch prints a line per change until stopped', async () => {
    f = await adminFixture();
    const stop = new AbortController();
    const lines: string[] = [];
    let polls = 0;
    const app = injectFetch(f.app);
    const fetchAndAct = withoutStream(async (input: string | URL | Request, init?: RequestInit) => {
      polls += 1;
      // Between polls, an operator acts; on the fifth poll the SRE presses Ctrl-C.
      if (polls === 2) await f.store.forceOpen('pusher', { reason: 'drill', actor: 'olga', ttlMs: 60_000 });
      if (polls === 4) await f.store.clearOverride('pusher', { actor: 'olga', reason: 'done' });
      if (polls === 5) stop.abort();
      return app(input, init);
    });
    const code = await runCli(['watch', 'pusher', '--interval', '250ms'], {
      env: { BREAKWATER_TOKEN: SECRETS.viewer },
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(`ERR ${t}`),
      fetch: fetchAndAct,
      signal: stop.signal,
    });
    expect(code).toBe(EXIT_CODES.OK);
    expect(lines.map((l) => l.replace(/^\S+\s+/, '').split(',')[0])).toEqual([
      'breakwater: this admin API has no event stream; polling every 250ms\n',
      'pusher: closed (generation 0)\n',
      'pusher: forced_open (generation 1',
      'pusher: closed (generation 2)\n',
    ]);
  });

  it('watch keeps going through server trouble and stops on a 4xx', async () => {
    f = await adminFixture();
    const lines: string[] = [];
    let polls = 0;
    const app = injectFetch(f.app);
    const flaky = withoutStream(async (input: string | URL | Request, init?: RequestInit) => {
      polls += 1;
      if (polls === 2 || polls === 3) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      if (polls === 5) return app(String(input).replace('pusher', 'ghost'), init);
      return app(input, init);
    });
    const code = await runCli(['watch', 'pusher', '--interval', '250ms'], {
      env: { BREAKWATER_TOKEN: SECRETS.viewer },
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(`ERR ${t}`),
      fetch: flaky,
    });
    expect(code).toBe(EXIT_CODES.REFUSED);
    expect(lines.filter((l) => l.startsWith('ERR'))).toEqual([
      'ERR breakwater: this admin API has no event stream; polling every 250ms\n',
      'ERR breakwater: cannot reach http://127.0.0.1:8080: ECONNRESET (still watching)\n',
      expect.stringContaining('ERR breakwater: 404 BREAKER_NOT_FOUND'),
    ]);
  });

  it('watch follows the event stream, polls while it is lost, and resumes from the last event id', async () => {
    f = await adminFixture();
    const stop = new AbortController();
    const lines: string[] = [];
    const app = injectFetch(f.app);
    const streams: { lastEventId: string | null; stream: ReturnType<typeof sseResponse> }[] = [];
    let polls = 0;
    const fetchStream = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).includes('/v1/events?name=pusher')) {
        const stream = sseResponse();
        streams.push({ lastEventId: new Headers(init?.headers).get('last-event-id'), stream });
        return stream.response;
      }
      polls += 1;
      return app(input, init);
    }) as typeof fetch;
    const done = runCli(['watch', 'pusher', '--interval', '250ms'], {
      env: { BREAKWATER_TOKEN: SECRETS.viewer },
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(`ERR ${t}`),
      fetch: fetchStream,
      signal: stop.signal,
    });
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    const first = streams[0]?.stream;
    first?.send(`event: snapshot\ndata: ${JSON.stringify(await f.store.snapshot('pusher'))}\n\n`);
    first?.send('event: ready\ndata: {}\n\n: heartbeat\n\n');
    const opened = await f.store.forceOpen('pusher', { reason: 'drill', actor: 'olga', ttlMs: 60_000 });
    const transition = {
      name: 'pusher',
      action: 'force_open',
      from: 'closed',
      to: 'forced_open',
      state: 'forced_open',
    };
    const t1 = { ...transition, generation: 1, at: T0, actor: 'olga', reason: 'drill', overrideExpiresAt: null };
    first?.send(`event: transition\nid: 1-0:pusher\ndata: ${JSON.stringify({ transition: t1, snapshot: opened })}\n\n`);
    await vi.waitFor(() => expect(lines).toHaveLength(2));
    first?.end(); // the server goes away: one poll, then the stream again from the last id

    await vi.waitFor(() => expect(streams).toHaveLength(2));
    expect(streams[1]?.lastEventId).toBe('1-0:pusher');
    expect(polls).toBeGreaterThanOrEqual(1);
    const t2 = { ...t1, action: 'reset', from: 'closed', to: 'closed', generation: 2, reason: 'fresh' };
    streams[1]?.stream.send(
      `event: transition\nid: 2-0:pusher\ndata: ${JSON.stringify({ transition: t2, snapshot: null })}\n\n`,
    );
    await vi.waitFor(() => expect(lines).toHaveLength(4));
    stop.abort();
    expect(await done).toBe(EXIT_CODES.OK);
    expect(lines.map((l) => l.replace(/^\S+\s+/, '').split(',')[0])).toEqual([
      'pusher: closed (generation 0)\n',
      'pusher: forced_open (generation 1',
      'breakwater: the server ended the event stream (polling every 250ms until the stream is back)\n',
      'pusher: reset closed -> closed (generation 2) by olga: fresh\n',
    ]);
  });

  it('config shows the stored rules, and changes the fields given for every pod, audited', async () => {
    f = await adminFixture();
    const shown = await cli(['config', 'pusher']);
    expect(shown.code).toBe(EXIT_CODES.OK);
    expect(shown.stdout).toContain('failure-threshold  20');
    expect(shown.stdout).toContain('cooldown           1s, ×2 per failed probe up to 3s');

    const changed = await cli([
      'config',
      'pusher',
      '--reason',
      'INC-9: fewer probes',
      '--failure-threshold',
      '40',
      '--cooldown',
      '2s',
      '--max-cooldown',
      '30s',
      '--failure-rate',
      '0.3:200',
    ]);
    expect(changed).toMatchObject({ code: EXIT_CODES.OK, stderr: '' });
    expect(changed.stdout).toContain('failure-threshold  40');
    expect(changed.stdout).toContain('failure-rate       0.3:200');
    const stored = await f.store.snapshot('pusher');
    expect(stored.config).toMatchObject({
      failureThreshold: 40,
      cooldownMs: 2_000,
      maxCooldownMs: 30_000,
      failureRate: { threshold: 0.3, minimumCalls: 200 },
      windowMs: 30_000, // not given: kept
    });
    expect((await f.store.audit('pusher', { limit: 1 }))[0]).toMatchObject({
      action: 'config_update',
      actor: 'olga',
      reason: 'INC-9: fewer probes',
      config: { from: { failureThreshold: 20 }, to: { failureThreshold: 40 } },
    });

    // The API's rules across fields, named; nothing changed.
    const refused = await cli(['config', 'pusher', '--reason', 'x', '--bucket', '7s']);
    expect(refused.code).toBe(EXIT_CODES.REFUSED);
    expect(refused.stderr).toContain('400 INVALID_REQUEST: config.bucketMs');
    expect((await f.store.snapshot('pusher')).configHash).toBe(stored.configHash);

    for (const [argv, message] of [
      [['config', 'pusher', '--failure-threshold', '40'], 'config needs --reason'],
      [['config', 'pusher', '--reason', 'x'], 'config --reason needs at least one field flag'],
      [['config', 'pusher', '--reason', 'x', '--cooldown', 'soon'], '--cooldown must be a duration'],
      [['config', 'pusher', '--reason', 'x', '--failure-rate', '30%'], '--failure-rate must be RATE:CALLS'],
      [['config', 'pusher', '--reason', 'x', '--mode', 'off'], '--mode must be enforce or shadow'],
      [['status', '--quorum', '2'], 'status does not take --quorum'],
    ] as const) {
      const run = await cli([...argv]);
      expect(run.code, argv.join(' ')).toBe(EXIT_CODES.USAGE);
      expect(run.stderr).toContain(message);
    }
  });

  it('--version prints the version and sends nothing', async () => {
    f = await adminFixture();
    expect(await cli(['--version'])).toEqual({ code: EXIT_CODES.OK, stdout: `breakwater ${VERSION}\n`, stderr: '' });
  });
});
