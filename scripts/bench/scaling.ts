import { parseConfig, type TableContract } from '@app/config';
import { prng, SALES_TABLE } from '@app/simulation';
import {
  encodeCsv,
  PostgresDestination,
  qualify,
  quoteIdent,
  STAGING_TABLE,
  stateTableName,
  type LaneClaim,
  type StagedBatch,
  type StagedRow,
} from '@app/warehouse';
import { statfsSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { quantile } from './stats';

/** One measured table size of (f). */
export interface ScalingCase {
  label: string;
  /** The size asked for: rows filled into the target before its batches. */
  size: number;
  /** The case of `size` rows plus as many tombstones, on a table of its own. */
  tombstoneCase: boolean;
  /** Rows in the target when the measured batches began (counted). */
  targetRows: number;
  /** Rows in the tombstone table when the measured batches began (counted). */
  tombstones: number;
  /** Server-side fill (INSERT … SELECT generate_series), VACUUM ANALYZE and CHECKPOINT. */
  fillSeconds: number;
  batches: number;
  rowsPerBatch: number;
  /** The first batch on the size, left out of the quantiles: cold caches and, on a fresh destination, the tombstone prune. */
  firstBatchMs: number;
  /** The whole transaction, as the sink waits for it (PostgresDestination.applyBatch). */
  batchMs: Quantiles;
  /** CREATE TEMP TABLE and COPY FROM STDIN into it. */
  stageMs: Quantiles;
  /** The merge statements (version guard, delete, insert, tombstones). */
  mergeMs: Quantiles;
  /** Rows of a batch divided by the median batch time. */
  rowsPerSecond: number;
  /** Each merge statement: its median time over the measured batches and, from one more batch run under EXPLAIN ANALYZE, its plan. */
  statements: ScalingStatement[];
}

export interface ScalingStatement {
  statement: string;
  p50Ms: number;
  /** The plan's nodes, outermost first (EXPLAIN ANALYZE of one more batch). */
  plan: string;
  /** Execution time that EXPLAIN ANALYZE reported for it. */
  explainMs: number;
  /**
   * Its shared buffers under EXPLAIN ANALYZE: found in shared_buffers, read in (from the OS
   * cache or disk), dirtied, and written out by the statement itself to make room.
   */
  buffers: { hit: number; read: number; dirtied: number; written: number };
}

export interface Quantiles {
  p50: number;
  p90: number;
  max: number;
}

export interface ScalingResult {
  cases: ScalingCase[];
  /** Sizes not measured, and why (too little disk). */
  skipped: { label: string; reason: string }[];
  seconds: number;
  /** Where the full EXPLAIN ANALYZE plans (JSON) were written. */
  plansFile: string;
}

export interface ScalingOptions {
  pool: Pool;
  connection: PoolConfig;
  /** Schema of the target tables; `<schema>_state` holds checkpoints and tombstones. Dropped at the end. */
  schema: string;
  /** Target sizes, measured in this order on one table grown in place. */
  sizes: number[];
  /** The extra case: a target of this many rows plus this many tombstones (0: none). */
  tombstoneCase: number;
  batches: number;
  rowsPerBatch: number;
  seed: number;
  plansFile: string;
}

/** Disk a target row costs here (heap + primary key, 133 B measured), with room for the WAL. */
const BYTES_PER_ROW = 200;
const DISK_HEADROOM = 2 * 1024 ** 3;
const STATE_SUFFIX = '_state';

/**
 * (f) Scaling: what one batch costs as the target grows. One sales-shaped versioned table is
 * filled server-side (INSERT … SELECT generate_series, then VACUUM ANALYZE and CHECKPOINT, so
 * no bulk-load checkpoint lands on the batches) to each size in turn, and a separate one to
 * N rows plus N tombstones; on each, batches of a mix of updates of existing keys (uniform over
 * the key space), new keys, deletes and stale changes go through the sink's own path:
 * PostgresDestination.applyBatch, COPY FROM STDIN into the staging table, the merge and the
 * checkpoint in one transaction. The destination is observed, not changed: it sees a client
 * whose `query` times each statement, and one more batch per size runs each merge statement
 * under EXPLAIN ANALYZE (which executes it) for the plans.
 */
export async function runScaling(options: ScalingOptions): Promise<ScalingResult> {
  const started = Date.now();
  const { pool, schema } = options;
  const stateSchema = `${schema}${STATE_SUFFIX}`;
  const free = await freeBytes(pool);
  const cases: ScalingCase[] = [];
  const skipped: ScalingResult['skipped'] = [];
  const plans: Record<string, unknown> = {};
  const fits = (rows: number, label: string) => {
    const need = rows * BYTES_PER_ROW + DISK_HEADROOM;
    const available = free();
    if (available === undefined || available >= need) return true;
    const reason = `needs about ${gib(need)} free for the database, ${gib(available)} free`;
    console.log(`    ${label}: skipped, ${reason}`);
    skipped.push({ label, reason });
    return false;
  };
  const add = (measured: { result: ScalingCase; plans: unknown } | undefined) => {
    if (!measured) return;
    cases.push(measured.result);
    plans[measured.result.label] = measured.plans;
    printCase(measured.result);
  };
  try {
    const sizes = [...new Set(options.sizes)].sort((a, b) => a - b);
    const grown = new ScalingTable(options, 'sales', stateSchema);
    await grown.prepare();
    let tombstonesDone = options.tombstoneCase <= 0;
    for (const size of sizes) {
      const label = sizeLabel(size);
      if (!fits(size, label)) continue;
      const fillSeconds = await grown.fillTo(size, 0);
      add(await grown.measure(label, size, false, fillSeconds));
      // The tombstone case once its own size is measured (its table is dropped before the grown
      // one grows on), or at the end.
      if (!tombstonesDone && size >= options.tombstoneCase) {
        add(await tombstoneCase(options, stateSchema, fits));
        tombstonesDone = true;
      }
    }
    if (!tombstonesDone) add(await tombstoneCase(options, stateSchema, fits));
  } finally {
    for (const s of [schema, stateSchema])
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`).catch(() => undefined);
  }
  writeFileSync(options.plansFile, `${JSON.stringify(plans, null, 2)}\n`);
  return { cases, skipped, seconds: (Date.now() - started) / 1000, plansFile: options.plansFile };
}

async function tombstoneCase(
  options: ScalingOptions,
  stateSchema: string,
  fits: (rows: number, label: string) => boolean,
): Promise<{ result: ScalingCase; plans: unknown } | undefined> {
  const n = options.tombstoneCase;
  const label = `${sizeLabel(n)} + ${sizeLabel(n).replace(' rows', '')} tombstones`;
  if (!fits(2 * n, label)) return undefined;
  const table = new ScalingTable(options, 'sales_tombstoned', stateSchema);
  try {
    await table.prepare();
    const fillSeconds = await table.fillTo(n, n);
    return await table.measure(label, n, true, fillSeconds);
  } finally {
    await table.drop();
  }
}

/** The batch, timed from the inside by the observing destination. */
interface Trace {
  /** Set by the destination when a batch under EXPLAIN ANALYZE is wanted. */
  explain: boolean;
  loadStarted: number;
  copied: number;
  loadEnded: number;
  statements: { text: string; ms: number; plan?: unknown }[];
}

/**
 * PostgresDestination as the sink builds it for `warehouse.staging: direct` (COPY FROM STDIN),
 * whose load phase runs on a client that times each statement after the COPY and, when asked,
 * prefixes it with EXPLAIN ANALYZE. Only the observation differs: same statements, same order,
 * same transaction.
 */
class ObservedDestination extends PostgresDestination {
  trace: Trace | undefined;

  constructor(connection: PoolConfig, stateSchema: string) {
    super({
      pool: { ...connection, max: 2, application_name: 'tablelane-bench-scaling' },
      stateSchema,
      createTables: true,
      lockTimeoutMs: 10_000,
      afterCopy: () => {
        if (this.trace) this.trace.copied = now();
      },
    });
  }

  protected override async loadPhase(client: PoolClient, batch: StagedBatch): Promise<void> {
    const trace = this.trace;
    if (!trace) return super.loadPhase(client, batch);
    trace.loadStarted = now();
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const measured = async (text: string, rest: unknown[]): Promise<unknown> => {
      const began = now();
      if (!trace.explain) {
        const result = await query(text, ...rest);
        trace.statements.push({ text, ms: now() - began });
        return result;
      }
      const result = (await query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, ...rest)) as {
        rows: { 'QUERY PLAN': unknown }[];
      };
      trace.statements.push({ text, ms: now() - began, plan: result.rows[0]?.['QUERY PLAN'] });
      return result;
    };
    // Not async: the COPY's query() returns the stream the loader pipes into, not a promise.
    const timed = (...args: unknown[]): unknown => {
      const [text, ...rest] = args;
      // The COPY (a stream, not text) and everything before it are the stage.
      if (typeof text !== 'string' || trace.copied === 0) return query(...args);
      return measured(text, rest);
    };
    const observed = new Proxy(client, {
      get: (target, property) => {
        if (property === 'query') return timed;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await super.loadPhase(observed, batch);
    trace.loadEnded = now();
  }
}

/** One target table of the run, its state tables, and the batches that go into it. */
class ScalingTable {
  private readonly contract: TableContract;
  private readonly random: () => number;
  /** One past the highest key ever used: keys [0, nextKey) exist or were deleted. */
  private nextKey = 0;
  private version = 1;
  private offset = -1;
  private claim: LaneClaim | undefined;

  constructor(
    private readonly options: ScalingOptions,
    table: string,
    private readonly stateSchema: string,
  ) {
    this.contract = parseConfig({
      warehouse: { stateSchema },
      tables: [
        // The shape of the workload's `sales`, as in the other runs.
        { name: `${options.schema}.${table}`, ...SALES_TABLE },
      ],
    }).tables[0]!;
    this.random = prng(options.seed + table.length);
  }

  private get target(): string {
    return qualify(this.contract.schema, this.contract.table);
  }

  private get tombstoneTable(): string {
    return qualify(this.stateSchema, stateTableName(this.contract, 'tombstone'));
  }

  async prepare(): Promise<void> {
    const destination = this.destination();
    try {
      await destination.prepareTable(this.contract);
    } finally {
      await destination.close();
    }
  }

  /**
   * Adds new keys until the target holds `rows` rows, then `tombstones` tombstones for further
   * new keys (deleted at version 1); VACUUM ANALYZE and a CHECKPOINT after. Returns the seconds.
   */
  async fillTo(rows: number, tombstones: number): Promise<number> {
    const { pool } = this.options;
    const began = Date.now();
    const missing = rows - (await this.count(this.target));
    if (missing > 0) {
      const from = this.nextKey;
      this.nextKey += missing;
      await pool.query(
        `INSERT INTO ${this.target} SELECT g, (g % 1000)::int, (g % 49999)::int, (g % 69997)::int, ` +
          `1 + (g % 8)::int, ((g % 100000) / 100.0)::numeric(8,2), ((g % 15000) / 100.0)::numeric(8,2), ` +
          `timestamptz '2026-01-01' + g * interval '1 second', 'filled ' || g, 1 ` +
          `FROM generate_series($1::bigint, $2::bigint) g`,
        [from, this.nextKey - 1],
      );
    }
    if (tombstones > 0) {
      const from = this.nextKey;
      this.nextKey += tombstones;
      await pool.query(
        `INSERT INTO ${this.tombstoneTable} (salesid, listid, ver) SELECT g, (g % 1000)::int, 1 ` +
          `FROM generate_series($1::bigint, $2::bigint) g`,
        [from, this.nextKey - 1],
      );
    }
    await pool.query(`VACUUM ANALYZE ${this.target}`);
    await pool.query(`VACUUM ANALYZE ${this.tombstoneTable}`);
    await pool.query('CHECKPOINT');
    return (Date.now() - began) / 1000;
  }

  /** One first batch, `batches` measured ones, and one more under EXPLAIN ANALYZE. */
  async measure(
    label: string,
    size: number,
    tombstoneCase: boolean,
    fillSeconds: number,
  ): Promise<{ result: ScalingCase; plans: unknown }> {
    const targetRows = await this.count(this.target);
    const tombstones = await this.count(this.tombstoneTable);
    // A fresh destination per size, as a sink starting on the table: its first batch also prunes tombstones.
    const destination = this.destination();
    try {
      this.claim ??= await destination.claimLane(this.contract, 'scaling', 0, 'bench');
      const first = await this.batch(destination, false);
      const traces: { ms: number; trace: Trace }[] = [];
      for (let i = 0; i < this.options.batches; i++) traces.push(await this.batch(destination, false));
      const explained = await this.batch(destination, true);
      const q = (values: number[]) => quantiles(values);
      const batchMs = q(traces.map((t) => t.ms));
      const labels = explained.trace.statements.map((s) => this.describe(s.text));
      const statements = labels.map((statement, i) => ({
        statement,
        p50Ms: quantile(
          traces.map((t) => t.trace.statements[i]?.ms ?? Number.NaN).sort((a, b) => a - b),
          0.5,
        ),
        plan: summarizePlan(explained.trace.statements[i]?.plan, (relation) => this.role(relation)),
        explainMs: executionTime(explained.trace.statements[i]?.plan),
        buffers: planBuffers(explained.trace.statements[i]?.plan),
      }));
      return {
        result: {
          label,
          size,
          tombstoneCase,
          targetRows,
          tombstones,
          fillSeconds,
          batches: traces.length,
          rowsPerBatch: this.options.rowsPerBatch,
          firstBatchMs: first.ms,
          batchMs,
          stageMs: q(traces.map((t) => t.trace.copied - t.trace.loadStarted)),
          mergeMs: q(traces.map((t) => t.trace.loadEnded - t.trace.copied)),
          rowsPerSecond: this.options.rowsPerBatch / (batchMs.p50 / 1000),
          statements,
        },
        plans: explained.trace.statements.map((s, i) => ({
          statement: labels[i],
          sql: s.text,
          plan: s.plan,
        })),
      };
    } finally {
      await destination.close();
    }
  }

  async drop(): Promise<void> {
    await this.options.pool.query(`DROP TABLE IF EXISTS ${this.target}`);
    await this.options.pool.query(`DROP TABLE IF EXISTS ${this.tombstoneTable}`);
  }

  private destination(): ObservedDestination {
    return new ObservedDestination(this.options.connection, this.stateSchema);
  }

  private async count(table: string): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0]!.n);
  }

  /** One batch through applyBatch: its wall time and what the destination traced. */
  private async batch(
    destination: ObservedDestination,
    explain: boolean,
  ): Promise<{ ms: number; trace: Trace }> {
    const rows = this.rows();
    const body = encodeCsv(rows);
    const trace: Trace = { explain, loadStarted: 0, copied: 0, loadEnded: 0, statements: [] };
    const nextOffset = this.offset + this.options.rowsPerBatch;
    destination.trace = trace;
    const began = now();
    try {
      await destination.applyBatch({
        contract: this.contract,
        topic: 'scaling',
        partition: 0,
        claim: { ...this.claim!, lastOffset: this.offset },
        nextOffset,
        rowCount: rows.length,
        openStagedData: async () => Readable.from([body]),
      });
    } finally {
      destination.trace = undefined;
    }
    this.offset = nextOffset;
    return { ms: now() - began, trace };
  }

  /**
   * A reduced batch (one row per key): 70% changes to keys drawn uniformly from every key used
   * so far (live or deleted; at most half of them): 55% updates, 10% deletes, 5% stale updates
   * (version 0, refused by the version guard), the rest upserts of new keys. Each batch has a
   * higher version than every earlier one.
   */
  private rows(): StagedRow[] {
    const total = this.options.rowsPerBatch;
    const version = String(++this.version);
    const existing = Math.min(Math.round(total * 0.7), Math.floor(this.nextKey / 2));
    const deletes = Math.round((existing * 10) / 70);
    const stale = Math.round((existing * 5) / 70);
    const keys = new Set<number>();
    while (keys.size < existing) keys.add(Math.floor(this.random() * this.nextKey));
    const rows: StagedRow[] = [];
    let i = 0;
    for (const key of keys) {
      if (i < deletes) rows.push(this.deleteRow(key, version));
      else rows.push(this.upsertRow(key, i < deletes + stale ? '0' : version));
      i++;
    }
    while (rows.length < total) rows.push(this.upsertRow(this.nextKey++, version));
    return rows;
  }

  private upsertRow(key: number, version: string): StagedRow {
    const r = this.random;
    return {
      op: 'u',
      values: [
        String(key),
        String(key % 1000),
        String(Math.floor(r() * 50_000)),
        String(Math.floor(r() * 70_000)),
        String(1 + Math.floor(r() * 8)),
        (r() * 1000).toFixed(2),
        (r() * 150).toFixed(2),
        new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 3e10)).toISOString(),
        `batch ${version} key ${key}`,
        version,
      ],
    };
  }

  private deleteRow(key: number, version: string): StagedRow {
    return {
      op: 'd',
      values: [String(key), String(key % 1000), null, null, null, null, null, null, null, version],
    };
  }

  /** A relation or index of a plan by its role in the merge. */
  private role(name: string): string {
    const tombstones = stateTableName(this.contract, 'tombstone');
    if (name === this.contract.table) return 'target';
    if (name === `${this.contract.table}_pkey`) return "target's primary key";
    if (name === tombstones) return 'tombstones';
    if (name === tombstones.replace(/__tomb$/, '__tkey')) return "tombstones' key";
    if (name === STAGING_TABLE) return 'stage';
    return name;
  }

  /** A merge statement, short: tables by role, column lists elided, what its WHERE is for. */
  private describe(sql: string): string {
    const text = sql
      .split(this.target)
      .join('target')
      .split(this.tombstoneTable)
      .join('tombstones')
      .split(quoteIdent(STAGING_TABLE))
      .join('stage')
      .replace(/\([^()]*\)/g, '(…)')
      .replace(/SELECT .*? FROM/, 'SELECT … FROM');
    const [head, where] = text.split(' WHERE ');
    const tag =
      where === undefined
        ? ''
        : /"\w+" > \w+\."\w+"/.test(where)
          ? ' (version guard)'
          : /= 'u'/.test(where)
            ? ' (upserts)'
            : /= 'd'/.test(where)
              ? ' (deletes)'
              : ' (by key)';
    return `${head!.trim()}${tag}`;
  }
}

interface PlanNode {
  'Node Type': string;
  Operation?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/**
 * `Delete on stage ← Hash Join ← [Seq Scan on stage (10,000 rows), Hash ← Seq Scan on target (…)]`:
 * the plan's nodes, outermost first, relations named by `role`.
 */
export function summarizePlan(plan: unknown, role: (relation: string) => string = (r) => r): string {
  const root = (plan as { Plan?: PlanNode }[] | undefined)?.[0]?.Plan;
  if (!root) return '';
  const render = (node: PlanNode): string => {
    const type = node['Node Type'] === 'ModifyTable' ? (node.Operation ?? 'Modify') : node['Node Type'];
    const relation = node['Relation Name'] ? ` on ${role(node['Relation Name'])}` : '';
    const index = node['Index Name'] ? ` using ${role(node['Index Name'])}` : '';
    const loops = node['Actual Loops'] ?? 1;
    const scanned = /Scan/.test(type)
      ? loops > 1
        ? ` (${count(loops)} loops)`
        : ` (${count((node['Actual Rows'] ?? 0) * loops)} rows)`
      : '';
    const children = (node.Plans ?? []).map(render);
    const self = `${type}${index}${relation}${scanned}`;
    if (children.length === 0) return self;
    return children.length === 1 ? `${self} ← ${children[0]}` : `${self} ← [${children.join(', ')}]`;
  };
  return render(root);
}

function planBuffers(plan: unknown): ScalingStatement['buffers'] {
  const root = (plan as { Plan?: Record<string, number | undefined> }[] | undefined)?.[0]?.Plan ?? {};
  const blocks = (name: string) => root[`Shared ${name} Blocks`] ?? Number.NaN;
  return { hit: blocks('Hit'), read: blocks('Read'), dirtied: blocks('Dirtied'), written: blocks('Written') };
}

function executionTime(plan: unknown): number {
  return (plan as { 'Execution Time'?: number }[] | undefined)?.[0]?.['Execution Time'] ?? Number.NaN;
}

function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * Free bytes where PostgreSQL keeps its data: its data directory when this process can see
 * it (the local stack), else the filesystem of the working directory; undefined when neither.
 */
async function freeBytes(pool: Pool): Promise<() => number | undefined> {
  const directory = await pool
    .query<{ data_directory: string }>('SHOW data_directory')
    .then(({ rows }) => rows[0]?.data_directory)
    .catch(() => undefined);
  return () => {
    for (const path of [directory, process.cwd()]) {
      if (!path) continue;
      try {
        const stats = statfsSync(path);
        return stats.bavail * stats.bsize;
      } catch {
        // Not visible from here (another machine, or no permission): try the next.
      }
    }
    return undefined;
  };
}

export function sizeLabel(rows: number): string {
  if (rows === 0) return 'empty target';
  if (rows % 1_000_000 === 0) return `${rows / 1_000_000}M rows`;
  if (rows % 1000 === 0) return `${rows / 1000}k rows`;
  return `${count(rows)} rows`;
}

function printCase(c: ScalingCase): void {
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(
    `    ${c.label} (${count(c.targetRows)} rows, ${count(c.tombstones)} tombstones; filled in ${c.fillSeconds.toFixed(1)} s): ` +
      `batch p50 ${ms(c.batchMs.p50)} p90 ${ms(c.batchMs.p90)} (stage ${ms(c.stageMs.p50)}, merge ${ms(c.mergeMs.p50)}), ` +
      `${Math.round(c.rowsPerSecond).toLocaleString('en-US')} rows/s; first batch ${ms(c.firstBatchMs)}`,
  );
  for (const s of c.statements)
    console.log(`      ${s.p50Ms.toFixed(1).padStart(7)} ms  ${s.statement}: ${s.plan}`);
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const count = (value: number) => value.toLocaleString('en-US');
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
