import { describe, expect, it } from 'vitest';
import { DEFAULT_STALL_THRESHOLD_MS } from '@app/config';
import { renderWithKubectl } from './support/manifests';
import { exportedMetrics, promqlReferences, type MetricDefinition } from './support/promql';
import { findCommand, readText, yamlDocuments } from './support/repo';

// Offline: the rules are read as YAML and their PromQL checked against the metrics the apps
// define; kubectl kustomize, where installed, renders local files only.

const RULES_DIR = 'deploy/prometheus';
const RULES_FILE = `${RULES_DIR}/tablelane-alerts.yaml`;

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PrometheusRule {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { groups: { name: string; interval?: string; rules: AlertRule[] }[] };
}

const documents = yamlDocuments(readText(RULES_FILE), RULES_FILE) as unknown as PrometheusRule[];
const rules = (documents[0]?.spec.groups ?? []).flatMap((g) => g.rules);
const byName = (name: string) => rules.find((r) => r.alert === name);

/** Series from outside tablelane that the rules may read, with their exporter's labels. */
const EXTERNAL: Record<string, MetricDefinition & { from: string }> = {
  kube_pod_status_ready: {
    from: 'kube-state-metrics',
    type: 'Gauge',
    labels: ['namespace', 'pod', 'uid', 'condition'],
  },
};
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

const ms = (duration: string): number => {
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  return [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)].reduce(
    (sum, m) => sum + Number(m[1]) * unit[m[2] as keyof typeof unit],
    0,
  );
};

/** Every problem of a set of alert rules: shape, unknown metrics or labels, templates naming lost labels. */
function ruleProblems(list: AlertRule[], exported: Map<string, MetricDefinition>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const rule of list) {
    const at = `alert ${rule.alert}`;
    if (!/^Tablelane[A-Z][A-Za-z]+$/.test(rule.alert ?? ''))
      problems.push(`${at}: name must be TablelaneCamelCase`);
    if (names.has(rule.alert)) problems.push(`${at}: defined twice`);
    names.add(rule.alert);
    if (!rule.for || !DURATION.test(rule.for))
      problems.push(`${at}: needs a "for" duration, got ${rule.for}`);
    if (!['critical', 'warning'].includes(rule.labels?.severity ?? ''))
      problems.push(`${at}: severity must be critical or warning`);
    if (!rule.annotations?.summary || !rule.annotations.description)
      problems.push(`${at}: needs a summary and a description`);
    const refs = promqlReferences(rule.expr);
    if (refs.metrics.length === 0) problems.push(`${at}: no metric in ${rule.expr}`);
    const known = new Set(TARGET_LABELS);
    for (const series of refs.metrics) {
      const def = exported.get(series) ?? EXTERNAL[series];
      if (!def) problems.push(`${at}: ${series} is not exported by any app (nor a listed exporter)`);
      else def.labels.forEach((l) => known.add(l));
    }
    for (const [series, label] of refs.selectorLabels) {
      const def = exported.get(series) ?? EXTERNAL[series];
      if (def && !def.labels.includes(label) && !TARGET_LABELS.includes(label))
        problems.push(`${at}: ${series} has no label ${label}`);
    }
    for (const label of refs.groupingLabels)
      if (!known.has(label)) problems.push(`${at}: groups by ${label}, which no metric of the query has`);
    // An aggregation keeps only its by(...) labels: a template naming another renders empty.
    for (const text of Object.values(rule.annotations ?? {}))
      for (const m of text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g))
        if (!refs.groupingLabels.includes(m[1]!))
          problems.push(`${at}: an annotation uses $labels.${m[1]}, which the expression drops`);
  }
  return problems;
}

describe(`Prometheus alert rules ${RULES_FILE}`, () => {
  const exported = exportedMetrics();

  it('is one PrometheusRule whose spec is a plain rule file (groups of rules, nothing else)', () => {
    expect(documents).toHaveLength(1);
    const [rule] = documents;
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(rule!.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    // `yq '.spec'` must give Prometheus a rule file: only `groups`, each named and with rules.
    expect(Object.keys(rule!.spec)).toEqual(['groups']);
    for (const group of rule!.spec.groups) {
      expect(group.name).toBeTruthy();
      expect(group.rules.length).toBeGreaterThan(0);
    }
  });

  it('every rule is well formed and reads only metrics the apps export, with their labels', () => {
    expect(rules.length).toBeGreaterThanOrEqual(4);
    expect(ruleProblems(rules, exported)).toEqual([]);
  });

  it('the checker does catch a misspelt metric, a wrong label, a missing "for" and a template naming a dropped label (it is not a no-op)', () => {
    const broken: AlertRule = {
      alert: 'TablelaneBroken',
      expr: 'max by (partition) (tablelane_sink_lane_stalld{table="x"}) > 0',
      labels: { severity: 'critical' },
      annotations: { summary: 'table {{ $labels.table }}', description: 'd' },
    };
    const wrongLabel = { ...byName('TablelaneLaneStalled')!, alert: 'TablelaneWrongLabel' };
    wrongLabel.expr = wrongLabel.expr.replace(
      'tablelane_sink_lane_stalled',
      'tablelane_sink_lane_stalled{table="x"}',
    );
    expect(ruleProblems([broken, wrongLabel], exported)).toEqual([
      'alert TablelaneBroken: needs a "for" duration, got undefined',
      'alert TablelaneBroken: tablelane_sink_lane_stalld is not exported by any app (nor a listed exporter)',
      'alert TablelaneBroken: groups by partition, which no metric of the query has',
      'alert TablelaneBroken: an annotation uses $labels.table, which the expression drops',
      'alert TablelaneWrongLabel: tablelane_sink_lane_stalled has no label table',
    ]);
  });

  it('pages on a stalled lane within about two minutes of the first failure, per lane', () => {
    const stalled = byName('TablelaneLaneStalled')!;
    expect(promqlReferences(stalled.expr).metrics).toEqual(['tablelane_sink_lane_stalled']);
    expect(promqlReferences(stalled.expr).groupingLabels).toEqual(['partition']);
    expect(stalled.labels?.severity).toBe('critical');
    const minutes = ms(stalled.for!) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(1);
    expect(minutes).toBeLessThanOrEqual(2);
    expect(DEFAULT_STALL_THRESHOLD_MS + ms(stalled.for!)).toBeLessThanOrEqual(180_000);
  });

  it('warns on lag that keeps growing for ten minutes, and on a table too many seconds behind', () => {
    const growing = byName('TablelaneLagGrowing')!;
    expect(growing.expr).toMatch(/deriv\(.*tablelane_lane_lag_messages.*\[10m:\w+\]\) > 0/);
    expect(ms(growing.for!)).toBe(600_000);
    const behind = byName('TablelaneTableBehind')!;
    expect(promqlReferences(behind.expr).metrics).toEqual(['tablelane_table_lag_seconds']);
    expect(behind.expr).toMatch(/> \d+$/);
  });

  it('warns on a sink not ready, as Kubernetes sees it', () => {
    const ready = byName('TablelaneSinkNotReady')!;
    expect(ready.expr).toContain('kube_pod_status_ready{condition="true", pod=~"tablelane-sink-.+"}');
    expect(ready.expr).toMatch(/== 0$/);
  });
});

const kubectl = findCommand('kubectl');
describe.skipIf(!kubectl)(
  kubectl
    ? `kubectl kustomize ${RULES_DIR}`
    : `kubectl kustomize ${RULES_DIR} (skipped: kubectl is not installed)`,
  () => {
    it('renders the PrometheusRule unchanged but for the part-of label', () => {
      const { objects, error } = renderWithKubectl(kubectl!, RULES_DIR);
      expect(error).toBeUndefined();
      expect(objects).toHaveLength(1);
      const [rendered] = objects as unknown as PrometheusRule[];
      expect(rendered!.spec).toEqual(documents[0]!.spec);
      expect(rendered!.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'tablelane' });
    });
  },
);
