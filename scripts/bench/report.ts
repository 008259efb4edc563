import type { BacklogResult, DrainResult } from './backlog';
import type { CeilingResult } from './ceiling';
import type { NaiveResult } from './naive';
import type { ScalingCase, ScalingResult } from './scaling';
import { renderChart, type Series } from './svg-chart';
import type { RunResult } from './tablelane-runs';
import type { TransportResult } from './transport';

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
  /** Measured ÷ wanted: at least 1 meets an "at least" target, at most 1 an "at most" one. */
  ratio: number;
  met: boolean;
}

export interface BenchReport {
  generatedAt: string;
  /** Wall time of the whole benchmark, build excluded. */
  durationSeconds: number;
  machine: Machine;
  /** The runs done (BENCH_RUNS), by letter; the sections of the others are empty or absent. */
  runs: string[];
  settings: Record<string, unknown>;
  tablelane: RunResult[];
  halfRate?: RunResult;
  ceiling?: CeilingResult;
  naive: NaiveResult[];
  /** (d) Backlog drain: router + sinks, and sinks alone from a pre-routed changes topic. */
  backlog: BacklogResult[];
  /** (e) Transport ceiling: Kafka's perf tools and kafkajs, same record size. */
  transport: TransportResult[];
  /** (f) Scaling: one batch's cost as the target grows. */
  scaling?: ScalingResult;
  targets: Target[];
  /** Runs whose warehouse did not equal the model; the benchmark fails when any is listed. */
  failures: string[];
}

/**
 * The memory bound judged for every process: the router's container limit in
 * deploy/kubernetes/base/router.yaml (a router above it is killed there) and issue 13's bound
 * for every process; for a sink it is twice its default buffer budget (maxBufferedBytes).
 */
export const RSS_LIMIT_BYTES = 512 * 1024 * 1024;
/** Issue 13: a pre-produced backlog drained by router + sinks at this rate or more. */
export const BACKLOG_TARGET_PER_SECOND = 100_000;
/** Issue 13: one batch on a 10M-row target costs at most this many times what it costs on an empty one. */
export const SCALING_TARGET_RATIO = 2;

/** The targets of issues 8 and 13, judged on the measurements: reported, never enforced. */
export function judgeTargets(
  tablelane: RunResult[],
  halfRate: RunResult | undefined,
  ceiling: CeilingResult | undefined,
  backlog: BacklogResult[],
  scaling?: ScalingResult,
): Target[] {
  const targets: Target[] = [];
  const best = Math.max(...tablelane.map((r) => r.changesPerSecond));
  if (tablelane.length > 0 && ceiling)
    targets.push({
      name: 'end-to-end throughput at least half the COPY+merge ceiling of the same run',
      target: `>= ${rate(ceiling.changesPerSecond / 2)} changes/s`,
      measured: `${rate(best)} changes/s (${((best / ceiling.changesPerSecond) * 100).toFixed(0)}% of ${rate(ceiling.changesPerSecond)})`,
      ratio: best / (ceiling.changesPerSecond / 2),
      met: best >= ceiling.changesPerSecond / 2,
    });
  if (halfRate) {
    const peakRss = Math.max(halfRate.sinkPeakRssBytes, ...tablelane.map((r) => r.sinkPeakRssBytes));
    targets.push(
      {
        name: 'p99 end-to-end latency at most 2 s at half the maximum throughput (1 s flushes)',
        target: '<= 2 s',
        measured: `${secs(halfRate.latency.p99)} at ${rate(halfRate.changesPerSecond)} changes/s`,
        ratio: halfRate.latency.p99 / 2,
        met: halfRate.latency.p99 <= 2,
      },
      {
        name: 'sink resident memory at most 512 MB in the end-to-end runs',
        target: '<= 512 MB per sink process',
        measured: `${mb(peakRss)} peak`,
        ratio: peakRss / RSS_LIMIT_BYTES,
        met: peakRss <= RSS_LIMIT_BYTES,
      },
    );
  }
  const phases = backlog.flatMap((b) => b.phases);
  const drain = phases.find((p) => p.phase === 'router + sinks');
  if (drain) {
    const after = drain.changesPerSecondAfterFirstCommit;
    targets.push({
      name: `backlog of ${count(drain.changes)} changes drained by router + sinks at 100k changes/s or more`,
      target: `>= ${rate(BACKLOG_TARGET_PER_SECOND)} changes/s`,
      measured:
        `${rate(drain.changesPerSecond)} changes/s from the first app start to lag 0` +
        (after === null ? '' : ` (${rate(after)}/s after the first commit)`),
      ratio: drain.changesPerSecond / BACKLOG_TARGET_PER_SECOND,
      met: drain.changesPerSecond >= BACKLOG_TARGET_PER_SECOND,
    });
  }
  const processes = phases.flatMap((p) => p.processes.map((process) => ({ phase: p.phase, ...process })));
  if (processes.length > 0) {
    const largest = processes.reduce((a, b) => (b.peakRssBytes > a.peakRssBytes ? b : a));
    const over = processes.filter((p) => p.peakRssBytes > RSS_LIMIT_BYTES);
    targets.push({
      name: 'every process at most 512 MB resident while draining the backlog',
      target: '<= 512 MB per process',
      measured:
        `${mb(largest.peakRssBytes)} peak (${largest.name}, ${largest.phase})` +
        (over.length > 1 ? `; ${over.length} processes over` : ''),
      ratio: largest.peakRssBytes / RSS_LIMIT_BYTES,
      met: over.length === 0,
    });
  }
  const scaled = scalingTarget(scaling);
  if (scaled) targets.push(scaled);
  return targets;
}

/**
 * (f): the median batch (the whole transaction: stage, merge, checkpoint) on the largest
 * measured target without tombstones against the smallest, 10M rows against empty by default.
 */
function scalingTarget(scaling: ScalingResult | undefined): Target | undefined {
  const sizes = (scaling?.cases ?? []).filter((c) => !c.tombstoneCase);
  if (sizes.length < 2) return undefined;
  const small = sizes.reduce((a, b) => (b.size < a.size ? b : a));
  const large = sizes.reduce((a, b) => (b.size > a.size ? b : a));
  const value = large.batchMs.p50 / small.batchMs.p50;
  const merge = large.mergeMs.p50 / small.mergeMs.p50;
  const worst = sizes.reduce((a, b) => (b.batchMs.p50 > a.batchMs.p50 ? b : a));
  const target = (c: ScalingCase) =>
    c.size === 0 ? 'an empty target' : `a ${shortCount(c.size)}-row target`;
  return {
    name: `merge cost per batch within 2× from ${target(small)} to ${target(large)}`,
    target: `<= ${SCALING_TARGET_RATIO}× (median batch, ${count(large.rowsPerBatch)} rows)`,
    measured:
      `${ratio(value)}: ${msText(large.batchMs.p50)} against ${msText(small.batchMs.p50)} per batch ` +
      `(merge statements alone ${msText(large.mergeMs.p50)} against ${msText(small.mergeMs.p50)}, ${ratio(merge)})` +
      (worst !== large
        ? `; the slowest size measured is ${worst.label}: ${msText(worst.batchMs.p50)}, ${ratio(worst.batchMs.p50 / small.batchMs.p50)}`
        : ''),
    ratio: value / SCALING_TARGET_RATIO,
    met: value <= SCALING_TARGET_RATIO,
  };
}

export function renderMarkdown(report: BenchReport): string {
  const { machine, ceiling, halfRate } = report;
  const lines: string[] = [];
  lines.push(
    `Measured ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpus} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.postgres}; ` +
      `whole run ${report.durationSeconds.toFixed(0)} s` +
      (report.runs.length < 6 ? ` (runs ${report.runs.join(', ')} only)` : '') +
      '.',
  );
  const endToEnd = [...report.tablelane, ...(halfRate ? [halfRate] : [])];
  if (endToEnd.length > 0 || ceiling) {
    lines.push(
      '',
      '**tablelane end to end** (producers → Kafka → router → sinks → PostgreSQL, 1 s flushes) and the **ceiling**',
      '',
      '| run | producers | changes | changes/s | merged rows | p50 | p95 | p99 | ≤ 2 s | sink peak RSS | verified |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const r of endToEnd) {
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
    if (ceiling)
      lines.push(
        `| ceiling: COPY + merge, no Kafka | – | ${ceiling.changes} | ${rate(ceiling.changesPerSecond)} | ${ceiling.mergedRows} | – | – | – | – | – | ${ceiling.differences.length === 0 ? 'yes' : `**no** (${ceiling.differences.length})`} |`,
      );
  }
  if (endToEnd.length > 0)
    lines.push(
      '',
      'Where the CPU went, from the first send to lag 0 (CPU seconds by process):',
      '',
      ...endToEnd.map(
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
      ...cpuPerChangeTable(endToEnd, runLabel),
    );
  if (report.naive.length > 0) {
    lines.push(
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
  }
  for (const section of [backlogSection(report), transportSection(report), scalingSection(report)])
    if (section.length > 0) lines.push('', ...section);
  lines.push(
    '',
    '**targets** (reported, not enforced)',
    '',
    '| target | wanted | measured | measured ÷ wanted | |',
    '|---|---|---|---:|---|',
  );
  for (const t of report.targets)
    lines.push(
      `| ${t.name} | ${t.target} | ${t.measured} | ${ratio(t.ratio)} | ${t.met ? 'met' : '**not met**'} |`,
    );
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

/** The charts of (a) and (c); undefined when neither ran. */
export function renderSvg(report: BenchReport): string | undefined {
  if (report.tablelane.length === 0 && report.naive.length === 0) return undefined;
  const { halfRate, ceiling } = report;
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
    ...(halfRate
      ? [
          {
            name: `tablelane at half max (${rate(halfRate.changesPerSecond)}/s)`,
            color: '#16a34a',
            points: [[halfRate.producers, halfRate.latency.p99]] as [number, number][],
            markerOnly: true,
          },
        ]
      : []),
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
      rules: ceiling
        ? [
            { y: ceiling.changesPerSecond, label: 'ceiling: COPY + merge, no Kafka', color: '#16a34a' },
            { y: ceiling.changesPerSecond / 2, label: 'target: half the ceiling', color: '#6b7280' },
          ]
        : [],
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
const runLabel = (r: RunResult) =>
  r.pacedChangesPerSecond === null ? `${r.producers} producer${r.producers === 1 ? '' : 's'}` : 'paced run';
const count = (value: number) => value.toLocaleString('en-US');
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
const msText = (value: number) =>
  !Number.isFinite(value) ? 'n/a' : value < 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(0)} ms`;
/** 10000000 as `10M`, 1500 as `1.5k`. */
const shortCount = (value: number) =>
  value >= 1e6
    ? `${+(value / 1e6).toFixed(1)}M`
    : value >= 1e3
      ? `${+(value / 1e3).toFixed(1)}k`
      : String(value);

/** (d): one row per measured phase, its processes, and where the CPU went per change. */
function backlogSection(report: BenchReport): string[] {
  const phases = report.backlog.flatMap((b) => b.phases);
  if (phases.length === 0) return [];
  const name = (p: DrainResult) =>
    p.phase === 'router alone'
      ? 'router alone (sinks stopped)'
      : p.phase === 'sinks alone'
        ? 'sinks alone (pre-routed changes topic)'
        : p.phase;
  const verified = (p: DrainResult) =>
    p.differences === null
      ? '– (by its sinks)'
      : p.differences.length === 0
        ? 'yes'
        : `**no** (${p.differences.length})`;
  const { produceClients, sendSize } = report.backlog[0]!;
  const produced = report.backlog
    .map(
      (b) =>
        `${b.variant}: ${count(b.changes)} changes in ${b.produceSeconds.toFixed(1)} s (${rate(b.changes / b.produceSeconds)}/s)`,
    )
    .join('; ');
  return [
    `**backlog drain** (a backlog pre-produced onto the ingest topic with no app running, then the apps started on it; 2 sinks, 1 s flushes)`,
    '',
    '| run | changes | changes/s (first app start → lag 0) | first commit after | changes/s after the first commit | table batches | CPU seconds | peak RSS | verified |',
    '|---|---:|---:|---:|---:|---:|---|---|---|',
    ...phases.map(
      (p) =>
        `| ${name(p)} | ${count(p.changes)} | ${rate(p.changesPerSecond)} | ` +
        `${p.firstCommitSeconds === null ? '–' : secs(p.firstCommitSeconds)} | ` +
        `${p.changesPerSecondAfterFirstCommit === null ? '–' : rate(p.changesPerSecondAfterFirstCommit)} | ` +
        `${p.firstCommitSeconds === null ? '–' : p.batches} | ` +
        `${p.processes.map((x) => `${x.name} ${x.cpuSeconds.toFixed(1)}`).join(', ')} | ` +
        `${p.processes.map((x) => `${x.name} ${mb(x.peakRssBytes)}`).join(', ')} | ${verified(p)} |`,
    ),
    '',
    `Produced beforehand through the SDK (${produceClients} clients, half Avro, half JSON, sends of ${count(sendSize)}; not part of the drain): ${produced}.`,
    '',
    'CPU per change while draining, by component (µs of CPU per change, from the first app start to lag 0):',
    '',
    ...cpuPerChangeTable(phases, name, [
      'router',
      ...phases.flatMap((p) => p.processes.map((x) => x.name)).filter((n) => n !== 'router'),
      'kafka',
      'postgres',
      's3 (s3proxy)',
      'schema registry',
      'bench process',
    ]),
  ];
}

/** (e): records/s and MB/s of each client and direction. */
function transportSection(report: BenchReport): string[] {
  if (report.transport.length === 0) return [];
  return [
    '**transport ceiling** (Kafka alone, same broker, same run: records of the size of a change)',
    '',
    '| client | direction | records | record size | records/s | MB/s | how |',
    '|---|---|---:|---:|---:|---:|---|',
    ...report.transport.map(
      (t) =>
        `| ${t.client} | ${t.direction} | ${count(t.records)} | ${t.recordBytes} B | ${rate(t.recordsPerSecond)} | ` +
        `${t.megabytesPerSecond.toFixed(1)} | ${t.settings} |`,
    ),
  ];
}

/** (f): per target size, the batch's time, its stage and merge, each merge statement and its plans. */
function scalingSection(report: BenchReport): string[] {
  const scaling = report.scaling;
  if (!scaling || (scaling.cases.length === 0 && scaling.skipped.length === 0)) return [];
  const { cases } = scaling;
  const first = cases[0];
  const lines = [
    `**scaling** (one batch's cost as the target grows: ${first ? `batches of ${count(first.rowsPerBatch)} rows` : 'batches'} ` +
      '(55% updates and 10% deletes of keys drawn uniformly from every key used so far, 5% stale changes the version guard refuses, 30% new keys), ' +
      'each through `PostgresDestination.applyBatch` as the sink runs it: COPY FROM STDIN into the staging table, merge and checkpoint in one transaction; ' +
      `${first ? `${first.batches} batches per size after one first batch` : ''}, the target filled server-side beforehand)`,
    '',
    '| target | rows | tombstones | filled in | batch p50 | batch p90 | stage p50 (CREATE + COPY) | merge p50 | rows/s (p50) | first batch |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cases.map(
      (c) =>
        `| ${c.label} | ${count(c.targetRows)} | ${count(c.tombstones)} | ${c.fillSeconds.toFixed(1)} s | ` +
        `${msText(c.batchMs.p50)} | ${msText(c.batchMs.p90)} | ${msText(c.stageMs.p50)} | ${msText(c.mergeMs.p50)} | ` +
        `${rate(c.rowsPerSecond)} | ${msText(c.firstBatchMs)} |`,
    ),
    ...scaling.skipped.map((s) => `| ${s.label} | – | – | – | skipped: ${s.reason} | | | | | |`),
  ];
  if (!first) return lines;
  lines.push(
    '',
    'Each merge statement, median ms per batch:',
    '',
    `| statement | ${cases.map((c) => c.label).join(' | ')} |`,
    `|---|${cases.map(() => '---:').join('|')}|`,
    ...first.statements.map(
      (statement, i) =>
        `| \`${statement.statement}\` | ${cases.map((c) => msText(c.statements[i]?.p50Ms ?? Number.NaN)).join(' | ')} |`,
    ),
  );
  const largest = cases.filter((c) => !c.tombstoneCase).reduce((a, b) => (b.size > a.size ? b : a), first);
  const planned = [largest, ...cases.filter((c) => c.tombstoneCase)];
  for (const c of planned)
    lines.push(
      '',
      `Plans on ${c.label} (EXPLAIN ANALYZE, BUFFERS of one more batch; actual rows, or loops of an index scan; 8 KiB buffers):`,
      '',
      ...c.statements.map(
        (s) =>
          `- \`${s.statement}\` (${msText(s.explainMs)}; shared buffers ${count(s.buffers.hit)} hit, ` +
          `${count(s.buffers.read)} read, ${count(s.buffers.dirtied)} dirtied, ${count(s.buffers.written)} written): ${s.plan}`,
      ),
    );
  return lines;
}

/** µs of CPU per change for every component of every run; components in `order`, then as first seen. */
function cpuPerChangeTable<R extends { changes: number; cpu: { seconds: Record<string, number> } }>(
  runs: R[],
  label: (run: R) => string,
  order: string[] = [],
): string[] {
  const seen = new Set(runs.flatMap((r) => Object.keys(r.cpu.seconds)));
  const components = [...new Set([...order.filter((c) => seen.has(c)), ...seen])];
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
