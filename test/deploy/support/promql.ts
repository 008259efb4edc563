import { readText } from './repo';

export const METRIC_SOURCES = [
  'apps/sink/src/metrics/sink-metrics.ts',
  'apps/router/src/metrics/router-metrics.ts',
  'apps/producer/src/metrics/gateway-metrics.ts',
];

export interface MetricDefinition {
  type: 'Counter' | 'Gauge' | 'Histogram' | 'Summary';
  labels: string[];
}

/** The metrics our apps export, read from their `new Counter({ name: '...', labelNames })` calls. */
export function exportedMetrics(): Map<string, MetricDefinition> {
  const metrics = new Map<string, MetricDefinition>();
  for (const file of METRIC_SOURCES) {
    const text = readText(file);
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{([\s\S]*?)\}\)/g)) {
      const name = m[2].match(/name: '([a-zA-Z_:][a-zA-Z0-9_:]*)'/)?.[1];
      if (!name) throw new Error(`${file}: a ${m[1]} without a literal name`);
      const labels = [...(m[2].match(/labelNames: \[([^\]]*)\]/)?.[1].matchAll(/'([^']+)'/g) ?? [])].map(
        (l) => l[1],
      );
      metrics.set(name, { type: m[1] as MetricDefinition['type'], labels });
    }
  }
  return metrics;
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'and',
  'or',
  'unless',
]);

export interface PromqlReferences {
  /** Series names as written (histogram series keep their _bucket suffix). */
  metrics: string[];
  /** Labels matched in selectors, per series name. */
  selectorLabels: [metric: string, label: string][];
  /** Labels named by by(...), without(...), on(...), ignoring(...). */
  groupingLabels: string[];
}

/**
 * The series and labels an expression refers to. A small reader for the PromQL we write in
 * dashboards: selectors, ranges, aggregations with by/without, function calls, numbers.
 */
export function promqlReferences(expr: string): PromqlReferences {
  const selectorLabels: [string, string][] = [];
  const groupingLabels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(
    /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g,
    (_m, metric: string | undefined, body: string) => {
      for (const l of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
        selectorLabels.push([metric ?? '', l[1]]);
      return metric ?? '';
    },
  );
  rest = rest.replace(/\[[^\]]*\]/g, '');
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _k, body: string) => {
      groupingLabels.push(
        ...body
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return '';
    },
  );
  const metrics: string[] = [];
  for (const m of rest.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] !== undefined || KEYWORDS.has(m[1])) continue;
    metrics.push(m[1]);
  }
  return { metrics, selectorLabels, groupingLabels };
}
