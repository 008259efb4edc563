import type { CeilingResult } from './ceiling';
import type { NaiveResult } from './naive';
import { renderChart, type Series } from './svg-chart';
import type { RunResult } from './tablelane-runs';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  generatedAt: string;
  /** Wall time of the whole benchmark, build excluded. */
  durationSeconds: number;
  machine: Machine;
  settings: Record<string, unknown>;
  tablelane: RunResult[];
  halfRate: RunResult;
  ceiling: CeilingResult;
  naive: NaiveResult[];
  targets: Target[];
  /** Runs whose warehouse did not equal the model; the benchmark fails when any is listed. */
  failures: string[];
}

const SINK_RSS_LIMIT = 512 * 1024 * 1024;

/** The issue's three targets, judged on the measurements: reported, never enforced. */
export function judgeTargets(tablelane: RunResult[], halfRate: RunResult, ceiling: CeilingResult): Target[] {
  const best = Math.max(...tablelane.map((r) => r.changesPerSecond));
  const peakRss = Math.max(halfRate.sinkPeakRssBytes, ...tablelane.map((r) => r.sinkPeakRssBytes));
  return [
    {
      name: 'throughput at least half the COPY+merge ceiling',
      target: `>= ${rate(ceiling.changesPerSecond / 2)} changes/s`,
      measured: `${rate(best)} changes/s (${((best / ceiling.changesPerSecond) * 100).toFixed(0)}% of ${rate(ceiling.changesPerSecond)})`,
      met: best >= ceiling.changesPerSecond / 2,
    },
    {
      name: 'p99 end-to-end latency under 2 s at half the maximum throughput (1 s flushes)',
      target: '< 2 s',
      measured: `${secs(halfRate.latency.p99)} at ${rate(halfRate.changesPerSecond)} changes/s`,
      met: halfRate.latency.p99 < 2,
    },
    {
      name: 'sink resident memory under 512 MB',
      target: '< 512 MB per sink process',
      measured: `${mb(peakRss)} peak`,
      met: peakRss < SINK_RSS_LIMIT,
    },
  ];
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, ceiling } = report;
  const lines: string[] = [];
  lines.push(
    `Measured ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpus} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.postgres}; ` +
      `whole run ${report.durationSeconds.toFixed(0)} s.`,
    '',
    '**tablelane end to end** (producers → Kafka → router → sinks → PostgreSQL, 1 s flushes) and the **ceiling**',
    '',
    '| run | producers | changes | changes/s | merged rows | p50 | p95 | p99 | ≤ 2 s | sink peak RSS | verified |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const r of [...report.tablelane, report.halfRate]) {
    const name =
      r.pacedChangesPerSecond === null
        ? 'as fast as possible'
        : `paced at ${rate(r.pacedChangesPerSecond)}/s`;
    lines.push(
      `| ${name} | ${r.producers} | ${r.changes} | ${rate(r.changesPerSecond)} | ${r.mergedRows} | ` +
        `${secs(r.latency.p50)} | ${secs(r.latency.p95)} | ${secs(r.latency.p99)} | ${pct(r.latency.under2s)} | ` +
        `${mb(r.sinkPeakRssBytes)} | ${r.differences.length === 0 ? 'yes' : `**no** (${r.differences.length})`} |`,
    );
  }
  lines.push(
    `| ceiling: COPY + merge, no Kafka | – | ${ceiling.changes} | ${rate(ceiling.changesPerSecond)} | ${ceiling.mergedRows} | – | – | – | – | – | ${ceiling.differences.length === 0 ? 'yes' : `**no** (${ceiling.differences.length})`} |`,
    '',
    'Where the CPU went, from the first send to lag 0 (CPU seconds by process):',
    '',
    ...[...report.tablelane, report.halfRate].map(
      (r) =>
        `- ${r.pacedChangesPerSecond === null ? `${r.producers} producer${r.producers === 1 ? '' : 's'}` : 'paced run'}: ` +
        `${pct(r.cpu.busy)} of ${machine.cpus} cores busy; ` +
        Object.entries(r.cpu.seconds)
          .map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`)
          .join(', '),
    ),
    '',
    'CPU per change, by component (µs of CPU per change sent, from the first send to lag 0): where each optimisation moves the cost.',
    '',
    ...cpuPerChangeTable([...report.tablelane, report.halfRate]),
    '',
    '**naive pattern of seed 000** (each writer its own temp table + `DELETE … USING` + `INSERT … SELECT` on one shared table)',
    '',
    '| writers | isolation | rows/s | transactions | duplicate rows (keys) | serialization failures (40001) | deadlocks (40P01) | p99 batch latency |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const n of report.naive) {
    lines.push(
      `| ${n.writers} | ${n.isolation.toUpperCase()} | ${rate(n.rowsPerSecond)} | ${n.transactions} | ` +
        `${n.duplicateRows} (${n.duplicatedKeys}) | ${n.serializationFailures} | ${n.deadlocks} | ${secs(n.latency.p99)} |`,
    );
  }
  lines.push(
    '',
    '**targets** (reported, not enforced)',
    '',
    '| target | wanted | measured | |',
    '|---|---|---|---|',
  );
  for (const t of report.targets)
    lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'met' : '**not met**'} |`);
  if (report.failures.length > 0) lines.push('', `**verification failed**: ${report.failures.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The report as JSON, laid out as Prettier lays it out (arrays of plain values on one line when
 * they fit), so the committed file passes `prettier --check`.
 */
export function renderJson(report: BenchReport): string {
  const text = JSON.stringify(report, null, 2).replace(
    /^( *)("[^"]*": )?\[\n((?:\1 {2}(?:-?[\d.e+-]+|"(?:[^"\\]|\\.)*"),?\n)+)\1\]/gm,
    (whole, indent: string, key: string | undefined, items: string) => {
      const line = `${indent}${key ?? ''}[${items
        .split('\n')
        .filter(Boolean)
        .map((item) => item.trim().replace(/,$/, ''))
        .join(', ')}]`;
      return line.length <= 110 ? line : whole;
    },
  );
  return `${text}\n`;
}

export function renderSvg(report: BenchReport): string {
  const xTicks = [
    ...new Set([...report.tablelane.map((r) => r.producers), ...report.naive.map((n) => n.writers)]),
  ].sort((a, b) => a - b);
  const naive = (isolation: NaiveResult['isolation']) =>
    report.naive.filter((n) => n.isolation === isolation);
  const throughput: Series[] = [
    {
      name: 'tablelane (end to end)',
      color: '#1f6feb',
      points: report.tablelane.map((r) => [r.producers, r.changesPerSecond]),
    },
    {
      name: 'naive, READ COMMITTED (duplicates)',
      color: '#d97706',
      points: naive('read committed').map((n) => [n.writers, n.rowsPerSecond]),
    },
    {
      name: 'naive, SERIALIZABLE (retries)',
      color: '#dc2626',
      points: naive('serializable').map((n) => [n.writers, n.rowsPerSecond]),
    },
  ];
  const latency: Series[] = [
    {
      name: 'tablelane, producers at full speed',
      color: '#1f6feb',
      points: report.tablelane.map((r) => [r.producers, r.latency.p99]),
    },
    {
      name: `tablelane at half max (${rate(report.halfRate.changesPerSecond)}/s)`,
      color: '#16a34a',
      points: [[report.halfRate.producers, report.halfRate.latency.p99]],
      markerOnly: true,
    },
    {
      name: 'naive READ COMMITTED, per batch',
      color: '#d97706',
      points: naive('read committed').map((n) => [n.writers, n.latency.p99]),
    },
    {
      name: 'naive SERIALIZABLE, per batch',
      color: '#dc2626',
      points: naive('serializable').map((n) => [n.writers, n.latency.p99]),
    },
  ];
  return renderChart([
    {
      title: 'Throughput (changes/s, log scale)',
      yLabel: 'changes per second',
      xLabel: 'concurrent producers / writers',
      xTicks,
      series: throughput,
      rules: [
        { y: report.ceiling.changesPerSecond, label: 'ceiling: COPY + merge, no Kafka', color: '#16a34a' },
        { y: report.ceiling.changesPerSecond / 2, label: 'target: half the ceiling', color: '#6b7280' },
      ],
      yLog: true,
    },
    {
      title: 'p99 latency (s, log scale)',
      yLabel: 'seconds',
      xLabel: 'concurrent producers / writers',
      xTicks,
      series: latency,
      rules: [{ y: 2, label: 'target: 2 s at half max', color: '#6b7280' }],
      yLog: true,
    },
  ]);
}

export const rate = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
export const secs = (value: number) =>
  !Number.isFinite(value) ? 'n/a' : value < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(2)} s`;
const pct = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : 'n/a');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** µs of CPU per change for every component of every run; components in the order first seen. */
function cpuPerChangeTable(
  runs: {
    producers: number;
    pacedChangesPerSecond: number | null;
    changes: number;
    cpu: { seconds: Record<string, number> };
  }[],
): string[] {
  const components = [...new Set(runs.flatMap((r) => Object.keys(r.cpu.seconds)))];
  const label = (r: (typeof runs)[number]) =>
    r.pacedChangesPerSecond === null ? `${r.producers} producer${r.producers === 1 ? '' : 's'}` : 'paced run';
  return [
    `| run | ${components.join(' | ')} | total |`,
    `|---|${components.map(() => '---:').join('|')}|---:|`,
    ...runs.map((r) => {
      const us = (seconds: number) => Math.round((seconds * 1e6) / Math.max(1, r.changes));
      const cells = components.map((c) => us(r.cpu.seconds[c] ?? 0));
      return `| ${label(r)} | ${cells.join(' | ')} | ${us(Object.values(r.cpu.seconds).reduce((a, b) => a + b, 0))} |`;
    }),
  ];
}
