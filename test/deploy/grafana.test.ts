import { describe, expect, it } from 'vitest';
import { exportedMetrics, promqlReferences, type MetricDefinition } from './support/promql';
import { readText } from './support/repo';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

const dashboard = JSON.parse(readText('deploy/grafana/tablelane.json')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const graphs = panels.filter((p) => p.type !== 'row');
const exported = exportedMetrics();

/**
 * Series that come from outside tablelane, each with its exporter and labels. The sinks do not
 * export a messages-behind gauge of their own: the dashboard reads the group's offset lag from
 * kafka_exporter, which most Kafka installations already run.
 */
const EXTERNAL: Record<string, MetricDefinition & { from: string }> = {
  kafka_consumergroup_lag: {
    from: 'kafka_exporter',
    type: 'Gauge',
    labels: ['consumergroup', 'topic', 'partition'],
  },
};

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];

/** The metric a series belongs to: histograms expose name_bucket, name_sum and name_count. */
function definitionOf(series: string): [string, MetricDefinition] | undefined {
  const direct = exported.get(series) ?? EXTERNAL[series];
  if (direct) return [series, direct];
  const base = series.replace(/_(bucket|sum|count)$/, '');
  const def = exported.get(base);
  if (def && (def.type === 'Histogram' || (def.type === 'Summary' && !series.endsWith('_bucket'))))
    return [base, { ...def, labels: series.endsWith('_bucket') ? [...def.labels, 'le'] : def.labels }];
  return undefined;
}

const queries = (): { where: string; expr: string }[] => [
  ...graphs.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  ),
  ...dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({
      where: `variable ${v.name}`,
      expr: (typeof v.query === 'string' ? v.query : v.query.query).replace(
        /^label_values\((.*),\s*\w+\)$/,
        '$1',
      ),
    })),
];

describe('Grafana dashboard deploy/grafana/tablelane.json', () => {
  it('the metric sources define the metrics (the reader found them)', () => {
    expect(exported.size).toBeGreaterThanOrEqual(15);
    expect(exported.get('tablelane_sink_flush_duration_seconds')?.type).toBe('Histogram');
  });

  it('is an importable dashboard: uid, title, unique panel ids, panels inside the 24-column grid', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBe('tablelane');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it('every panel queries the Prometheus data source chosen in the $datasource variable', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    for (const p of graphs) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('every query refers only to metrics our apps export (or a listed exporter), and to their labels', () => {
    const problems: string[] = [];
    for (const { where, expr } of queries()) {
      const refs = promqlReferences(expr);
      if (refs.metrics.length === 0) problems.push(`${where}: no metric in ${expr}`);
      const labels = new Set(TARGET_LABELS);
      for (const series of refs.metrics) {
        const found = definitionOf(series);
        if (!found) problems.push(`${where}: ${series} is not exported by any app`);
        else found[1].labels.forEach((l) => labels.add(l));
      }
      for (const [series, label] of refs.selectorLabels) {
        const found = definitionOf(series);
        if (found && !found[1].labels.includes(label) && !TARGET_LABELS.includes(label))
          problems.push(`${where}: ${series} has no label ${label}`);
      }
      for (const label of refs.groupingLabels)
        if (!labels.has(label))
          problems.push(`${where}: groups by ${label}, which no metric of the query has`);
    }
    expect(problems).toEqual([]);
  });

  it('the reader of queries does catch an unknown metric and a wrong label', () => {
    const refs = promqlReferences('sum by (code) (rate(tablelane_sink_nope_total{table=~"$table"}[5m]))');
    expect(refs.metrics).toEqual(['tablelane_sink_nope_total']);
    expect(refs.selectorLabels).toEqual([['tablelane_sink_nope_total', 'table']]);
    expect(refs.groupingLabels).toEqual(['code']);
    expect(definitionOf('tablelane_sink_nope_total')).toBeUndefined();
    expect(definitionOf('tablelane_sink_dead_letters_total')?.[1].labels).not.toContain('table');
  });

  it('shows lag, throughput, latency, retries, dead letters, fencing, lock waits, buffered bytes and backpressure', () => {
    const used = new Set(
      queries().flatMap(({ expr }) => promqlReferences(expr).metrics.map((s) => definitionOf(s)?.[0])),
    );
    for (const metric of [
      'tablelane_lane_oldest_unflushed_seconds',
      'kafka_consumergroup_lag',
      'tablelane_sink_rows_merged_total',
      'tablelane_sink_flush_duration_seconds',
      'tablelane_end_to_end_latency_seconds',
      'tablelane_sink_retries_total',
      'tablelane_sink_dead_letters_total',
      'tablelane_router_dead_letters_total',
      'tablelane_sink_fenced_total',
      'tablelane_sink_table_blocked',
      'tablelane_sink_blocked_flushes_total',
      'tablelane_sink_lock_wait_seconds_total',
      'tablelane_sink_buffered_bytes',
      'tablelane_sink_backpressure_paused',
    ])
      expect(used.has(metric), metric).toBe(true);
  });

  it('shows flush duration at p50, p95 and p99', () => {
    const flush = graphs.find((p) =>
      p.targets?.some((t) => t.expr.includes('tablelane_sink_flush_duration_seconds_bucket')),
    );
    expect(flush?.targets?.map((t) => t.expr.match(/histogram_quantile\(([\d.]+)/)?.[1])).toEqual([
      '0.5',
      '0.95',
      '0.99',
    ]);
  });
});
