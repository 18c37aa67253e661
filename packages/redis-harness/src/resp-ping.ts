import { connect } from 'node:net';

/**
 * Sends one RESP `PING` on a fresh socket (after `AUTH` when given a password)
 * and resolves with the raw reply line to the PING, or rejects on connect error
 * or when nothing arrives within `timeoutMs`. Used to wait for a server to
 * accept commands without pulling in a client.
 */
export function respPing(host: string, port: number, timeoutMs: number, password?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    // The AUTH reply comes first; a failed AUTH leaves the PING's -NOAUTH as the answer.
    let skip = password === undefined ? 0 : 1;
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`PING ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () =>
      socket.write(`${password === undefined ? '' : resp(['AUTH', password])}${resp(['PING'])}`),
    );
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      for (let end = reply.indexOf('\r\n'); end >= 0; end = reply.indexOf('\r\n')) {
        if (skip > 0) {
          skip -= 1;
          reply = reply.slice(end + 2);
          continue;
        }
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.slice(0, end));
        return;
      }
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/** Polls {@link respPing} until it answers `+PONG` or `deadlineMs` passes. */
export async function waitForPong(
  host: string,
  port: number,
  deadlineMs: number,
  describe: () => string,
  password?: string,
): Promise<void> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < deadlineMs) {
    try {
      const reply = await respPing(host, port, 500, password);
      if (reply === '+PONG') return;
      last = new Error(`unexpected reply ${reply}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(
    `redis at ${host}:${port} did not answer PING within ${deadlineMs} ms (${String(last)})\n${describe()}`,
  );
}

/** One command as a RESP array of bulk strings. */
function resp(parts: readonly string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}
