import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { register } from '@breakwater/redis-harness';

/**
 * Debian's Python: `python3-websockets` installs the library for it. `python3` on
 * PATH may be another Python (pyenv, a venv) without it, so it is never used.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const SCRIPT = fileURLToPath(new URL('./fixtures/python-pusher.py', import.meta.url));

let importable: boolean | undefined;

/**
 * Throws, saying how to fix it, unless `/usr/bin/python3` can import `websockets`.
 * {@link PythonPusher.start} calls it, so on a machine without the package every
 * test that needs the Python pusher fails with this message; none is skipped.
 */
export function requirePythonWebsockets(): void {
  if (importable) return;
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], {
    encoding: 'utf8',
  });
  importable = probe.status === 0;
  if (importable) return;
  const why = probe.error ? String(probe.error) : (probe.stderr || `exit ${probe.status}`).trim();
  throw new Error(
    [
      `The Python pusher test needs Python's websockets library (what production pusher uses) for ${SYSTEM_PYTHON},`,
      `and \`${SYSTEM_PYTHON} -c 'import websockets'\` failed: ${why}`,
      'Install it with: sudo apt-get install -y python3-websockets   (.ci/run does this on a fresh machine)',
      `Note: \`python3\` on PATH may be another Python (pyenv, a venv); this test always runs ${SYSTEM_PYTHON}.`,
    ].join('\n'),
  );
}

/** One line the Python pusher printed. */
export type PythonPusherEvent =
  | { readonly event: 'listening'; readonly port: number; readonly websockets: string }
  | { readonly event: 'connected'; readonly path: string; readonly user_agent: string | null }
  | { readonly event: 'disconnected'; readonly code: number | null }
  | { readonly event: 'stopped'; readonly frames: Record<string, number>; readonly connections: number };

/**
 * `test/listen-client/fixtures/python-pusher.py` in a child process: a pusher
 * written with Python's `websockets`. {@link shutDown} sends SIGTERM, which it
 * answers the way a pusher pod answers a deploy: `server.close()`, a 1001 close
 * to every connection. Registered with the harness, so it is stopped when the
 * test file ends, whatever happened; it also exits when its stdin closes.
 */
export class PythonPusher {
  readonly events: PythonPusherEvent[];
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #unregister: () => void;
  readonly #stderr: string[];

  private constructor(
    child: ChildProcess,
    port: number,
    events: PythonPusherEvent[],
    exited: Promise<number | null>,
    stderr: string[],
  ) {
    this.#child = child;
    this.port = port;
    this.events = events;
    this.#exited = exited;
    this.#stderr = stderr;
    this.#unregister = register(
      {
        label: `python-pusher:${port}`,
        stop: () => this.kill(),
        killNow: () => {
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      },
      undefined,
    );
  }

  /** Starts it (port 0: a free one) and resolves once it listens; throws if the library is missing. */
  static async start(port = 0): Promise<PythonPusher> {
    requirePythonWebsockets();
    const child = spawn(SYSTEM_PYTHON, [SCRIPT, '--port', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const events: PythonPusherEvent[] = [];
    const stderr: string[] = [];
    let buffered = '';
    let onListening: (port: number) => void = () => {};
    const listening = new Promise<number>((resolve) => {
      onListening = resolve;
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const event = JSON.parse(line) as PythonPusherEvent;
        events.push(event);
        if (event.event === 'listening') onListening(event.port);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      if (stderr.length > 40) stderr.shift();
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', (err) => {
        stderr.push(String(err));
        resolve(null);
      });
    });
    const first = await Promise.race([listening, exited.then(() => undefined)]);
    if (first === undefined) {
      throw new Error(`the Python pusher exited before it listened:\n${stderr.join('')}`);
    }
    return new PythonPusher(child, first, events, exited, stderr);
  }

  /** `ws://127.0.0.1:<port>`: listen-client's pusherUrl. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The User-Agent of every connection it accepted, in order. */
  userAgents(): (string | null)[] {
    return this.events.flatMap((e) => (e.event === 'connected' ? [e.user_agent] : []));
  }

  /** Close codes of the connections that ended, in order. */
  disconnectCodes(): (number | null)[] {
    return this.events.flatMap((e) => (e.event === 'disconnected' ? [e.code] : []));
  }

  /**
   * SIGTERM: a clean shutdown (1001 to every connection). Resolves with its final
   * report once it has exited 0; throws, with its stderr, if it did not.
   */
  async shutDown(): Promise<Extract<PythonPusherEvent, { event: 'stopped' }>> {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
    const code = await this.#exited;
    this.#unregister();
    const stopped = this.events.find((e) => e.event === 'stopped');
    if (code !== 0 || !stopped || stopped.event !== 'stopped') {
      throw new Error(`the Python pusher did not shut down cleanly (exit ${code}):\n${this.#stderr.join('')}`);
    }
    return stopped;
  }

  /** SIGKILL, for cleanup. Idempotent. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
    this.#unregister();
  }
}
