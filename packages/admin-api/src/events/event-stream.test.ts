import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdminMetrics, type StreamEndReason } from '../metrics.js';
import { EventStream } from './event-stream.js';

function stream(maxBufferedBytes = 65_536) {
  const ended: (StreamEndReason | undefined)[] = [];
  const cut = vi.fn();
  const s = new EventStream({
    name: undefined,
    heartbeatMs: 15_000,
    maxBufferedBytes,
    metrics: new AdminMetrics(new Registry()),
    cut,
    onEnd: (reason) => ended.push(reason),
  });
  const read = () => {
    let text = '';
    for (let chunk = s.body.read(); chunk !== null; chunk = s.body.read()) text += chunk.toString();
    return text;
  };
  return { s, ended, cut, read };
}

const snapshot = (name: string) => ({ name, generation: 1 }) as never;

describe('EventStream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends a heartbeat comment every heartbeatMs once open, and none before', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { s, read } = stream();
    vi.advanceTimersByTime(60_000);
    expect(read()).toBe('');
    s.open([]);
    vi.advanceTimersByTime(14_999);
    expect(read()).toBe('');
    vi.advanceTimersByTime(1);
    expect(read()).toBe(': heartbeat\n\n');
    vi.advanceTimersByTime(30_000);
    expect(read()).toBe(': heartbeat\n\n: heartbeat\n\n');
  });

  it('holds live events until the opening is sent, then sends them after it', () => {
    const { s, read } = stream();
    s.removed('billing');
    s.open([{ frame: 'event: ready\ndata: {}\n\n', event: 'ready' }]);
    expect(read()).toBe('event: ready\ndata: {}\n\nevent: removed\ndata: {"name":"billing"}\n\n');
  });

  it('cuts a stream whose unread backlog passes maxBufferedBytes, once, as slow_consumer', async () => {
    const { s, ended, cut } = stream(65_536);
    s.open([]);
    for (let i = 0; i < 200 && ended.length === 0; i++) {
      s.snapshot({ name: 'pusher', generation: 1, padding: 'x'.repeat(1_000) } as never);
      await Promise.resolve();
    }
    await new Promise((r) => setImmediate(r));
    expect(cut).toHaveBeenCalledTimes(1);
    expect(ended).toEqual(['slow_consumer']);
    expect(s.body.destroyed).toBe(true);
    s.snapshot(snapshot('pusher')); // after the cut: ignored, not buffered
  });

  it('ends cleanly for a server shutdown, and reports a stream that never opened as undefined', async () => {
    const open = stream();
    open.s.open([]);
    open.s.end('server_closing');
    open.read();
    await new Promise((r) => setImmediate(r));
    expect(open.ended).toEqual(['server_closing']);

    const never = stream();
    never.s.body.destroy();
    await new Promise((r) => setImmediate(r));
    expect(never.ended).toEqual([undefined]);
  });
});
