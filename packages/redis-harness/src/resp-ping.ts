import { connect } from 'node:net';

/**
 * Sends one RESP `PING` on a fresh socket and resolves with the raw reply line,
 * or rejects on connect error or when nothing arrives within `timeoutMs`.
 * Used to wait for a server to accept commands without pulling in a client.
 */
export function respPing(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`PING ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply.slice(0, end));
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
): Promise<void> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < deadlineMs) {
    try {
      const reply = await respPing(host, port, 500);
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
