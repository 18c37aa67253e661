import { Counter, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { PusherMetrics } from './pusher-metrics.js';

/** What a dropped audio chunk costs: a degraded pod drops every chunk its app sends. */
describe('PusherMetrics.dropAudio()', () => {
  it('adds to prom-client when the counters are read, not once per chunk, and loses none', async () => {
    const registry = new Registry();
    const metrics = PusherMetrics.for(registry);
    const drops = vi.spyOn(metrics.queueDrops, 'inc');
    const bytes = vi.spyOn(metrics.queueDroppedBytes, 'inc');
    for (let i = 0; i < 1_000; i++) metrics.dropAudio(640);
    expect(drops).not.toHaveBeenCalled();
    expect(bytes).not.toHaveBeenCalled();
    const text = await registry.metrics();
    expect(text).toContain('pusher_queue_drops_total{queue="audio"} 1000');
    expect(text).toContain('pusher_queue_dropped_bytes_total{queue="audio"} 640000');
    metrics.dropAudio(320);
    expect(await registry.getSingleMetricAsString('pusher_queue_dropped_bytes_total')).toContain(
      'pusher_queue_dropped_bytes_total{queue="audio"} 640320',
    );
    expect((await metrics.queueDrops.get()).values).toEqual([{ labels: { queue: 'audio' }, value: 1001 }]);
  });

  it('adds at once to counters another copy of the package registered (their collect is not ours)', async () => {
    const registry = new Registry();
    const labelNames = ['queue'];
    new Counter({ name: 'pusher_queue_drops_total', help: 'x', labelNames, registers: [registry] });
    new Counter({ name: 'pusher_queue_dropped_bytes_total', help: 'x', labelNames, registers: [registry] });
    const metrics = PusherMetrics.for(registry);
    metrics.dropAudio(640);
    expect((await metrics.queueDroppedBytes.get()).values).toEqual([{ labels: { queue: 'audio' }, value: 640 }]);
  });
});
