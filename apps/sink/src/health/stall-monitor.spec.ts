import { createLogger } from '@app/observability';
import { describe, expect, it } from 'vitest';
import { SinkMetrics } from '../metrics/sink-metrics';
import type { LaneHealthInput } from './lane-health';
import { SinkHealth } from './sink-health';
import { StallMonitor } from './stall-monitor';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const lane = (partition: number, failingForMs?: number): LaneHealthInput => ({
  partition,
  tables: [
    {
      table: `s.t${partition}`,
      failingSince: failingForMs === undefined ? null : ago(failingForMs),
      lastError: failingForMs === undefined ? null : '55P03 lock timeout',
    },
  ],
  lagMessages: 1,
  progressAt: ago(0),
  failed: null,
});

async function gauge(metrics: SinkMetrics, name: string): Promise<Record<string, number>> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.partition), v.value]));
}

function monitorOf(lanes: () => LaneHealthInput[]) {
  const metrics = new SinkMetrics();
  const lines: string[] = [];
  const logger = createLogger('sink', { write: (line: string) => void lines.push(line) });
  const health = new SinkHealth(() => ({ consuming: true, lanes: lanes(), blocked: [] }), {
    stallThresholdMs: 3000,
    restartAfterMs: 10_000,
  });
  return { metrics, lines, monitor: new StallMonitor(health, metrics, logger) };
}

describe('StallMonitor', () => {
  it('publishes 1 for a stalled lane, 0 for the others, with seconds without progress', async () => {
    const { metrics, monitor } = monitorOf(() => [lane(0), lane(1, 5000), lane(2, 1000)]);
    monitor.refresh(NOW);
    expect(await gauge(metrics, 'tablelane_sink_lane_stalled')).toEqual({ '0': 0, '1': 1, '2': 0 });
    expect(await gauge(metrics, 'tablelane_sink_lane_no_progress_seconds')).toEqual({
      '0': 0,
      '1': 5,
      '2': 1,
    });
  });

  it('drops the series of a lane this sink no longer owns', async () => {
    let lanes = [lane(0, 5000), lane(1)];
    const { metrics, monitor } = monitorOf(() => lanes);
    monitor.refresh(NOW);
    lanes = [lane(1)];
    monitor.refresh(NOW);
    expect(await gauge(metrics, 'tablelane_sink_lane_stalled')).toEqual({ '1': 0 });
  });

  it('logs a stall once when it starts and once when it ends', () => {
    let lanes = [lane(7, 4000)];
    const { lines, monitor } = monitorOf(() => lanes);
    monitor.refresh(NOW);
    monitor.refresh(NOW + 1000);
    lanes = [lane(7)];
    monitor.refresh(NOW + 2000);
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual([
      'lane stalled: s.t7 has failed the same batch for 4 s: 55P03 lock timeout',
      'lane 7 no longer stalled here (it recovered, or moved to another sink)',
    ]);
  });
});
