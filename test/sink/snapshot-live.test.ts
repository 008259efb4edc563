import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '@app/config';
import { validateChange } from '@app/contracts';
import {
  CopyFromStdinLoader,
  PostgresDestination,
  RedshiftDestination,
  stateTableName,
  type Destination,
} from '@app/warehouse';
import { BatchStager } from '@app/sink/flush/batch-stager';
import type { BufferedChange } from '@app/sink/lane/buffered-change';
import { reduceBatch } from '@app/sink/lane/reduce-batch';
import { batchLength, snapshotStep, TableSnapshots } from '@app/sink/lane/snapshot-runs';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testConnection, testPool } from '../support/postgres';
import { waitFor } from '../support/kafka';
import { freePort } from '../support/ports';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { LaneWriter, runRecord, seeded, seenKeys } from './support/snapshot-lane';

interface Row {
  id: number;
  val: string;
  ver: number;
}

/** What a table holds after a sequence of versioned changes: per key, the newest wins; deletes stay. */
class Model {
  readonly rows = new Map<number, Row>();
  private readonly versions = new Map<number, number>();

  apply(change: { op: 'upsert'; row: Row } | { op: 'delete'; id: number; ver: number }): void {
    const id = change.op === 'upsert' ? change.row.id : change.id;
    const ver = change.op === 'upsert' ? change.row.ver : change.ver;
    // Ties go to the later change, as the sink's guard lets an equal version through.
    if ((this.versions.get(id) ?? -Infinity) > ver) return;
    this.versions.set(id, ver);
    if (change.op === 'upsert') this.rows.set(id, change.row);
    else this.rows.delete(id);
  }

  /** The end of a refresh: keys neither the run nor a live change during it touched are gone. */
  refreshed(touched: ReadonlySet<number>): void {
    for (const id of [...this.rows.keys()]) if (!touched.has(id)) this.rows.delete(id);
  }

  sorted(): Row[] {
    return [...this.rows.values()].sort((a, b) => a.id - b.id);
  }
}

const statusOf = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
    lanes: { tables: { table: string; snapshot: null | Record<string, unknown> }[] }[];
  };

describe.each(['s3', 'direct'] as const)(
  'a snapshot with live changes on its lane (staging: %s)',
  (staging) => {
    it('keeps the newest of snapshot row and live change, live deletes deleted, live inserts past the end; shows the run on /status and /metrics', async () => {
      const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('snaplive', 1);
      const tableConfig = {
        name: `${schema}.accounts`,
        columns: { id: 'bigint', val: 'text', ver: 'bigint' },
        primaryKey: ['id'],
        version: 'ver',
      };
      const config = parseConfig({ tables: [tableConfig] });
      const contract = config.tables[0]!;
      const port = await freePort();
      const sink = startSink(
        writeConfig({
          topics: { changes, dlq: `${changes}.dlq` },
          warehouse: { stateSchema: state, staging },
          defaults: { flush: { maxAgeMs: 150, maxRows: 25 } },
          tables: [tableConfig],
        }),
        { TABLELANE_SINK_GROUP: group, PORT: String(port) },
      );
      const lane = await LaneWriter.open(kafka, config, contract, changes);
      const model = new Model();
      const random = seeded(42);
      const upsert = (id: number, ver: number, val = `v${ver}`) => ({
        op: 'upsert' as const,
        row: { id, val, ver },
      });
      const remove = (id: number, ver: number) => ({ op: 'delete' as const, id, ver });
      const live = async (list: (ReturnType<typeof upsert> | ReturnType<typeof remove>)[]) => {
        for (const c of list) model.apply(c);
        await lane.changes(
          list.map((c) =>
            c.op === 'upsert'
              ? { table: contract.name, op: 'upsert', row: c.row }
              : { table: contract.name, op: 'delete', key: { id: c.id }, version: c.ver },
          ),
        );
      };

      // Before: keys 1..200 at version 10, and 20 keys the source has since lost (the refresh deletes them).
      await live([
        ...Array.from({ length: 200 }, (_, i) => upsert(i + 1, 10)),
        ...Array.from({ length: 20 }, (_, i) => upsert(900 + i, 10)),
      ]);
      await caughtUp();

      // The source as the run reads it: keys 1..200 at version 20, except those it deleted.
      const snapshotRows = Array.from({ length: 200 }, (_, i) => ({
        id: i + 1,
        val: `snap ${i + 1}`,
        ver: 20,
      })).filter((r) => r.id % 17 !== 0);
      const run = lane.runId();
      // A live change to a key the run will not hold, just before the begin (in the same fetch): it
      // precedes the run, so the refresh deletes it like any key the source no longer has.
      await live([upsert(905, 50)]);
      await lane.begin(run, snapshotRows.length);
      const touched = new Set<number>();
      const during = async (list: (ReturnType<typeof upsert> | ReturnType<typeof remove>)[]) => {
        for (const c of list) touched.add(c.op === 'upsert' ? c.row.id : c.id);
        await live(list);
      };
      const chunk = async (from: number, to: number) => {
        const rows = snapshotRows.filter((r) => r.id >= from && r.id <= to);
        for (const row of rows) {
          model.apply({ op: 'upsert', row });
          touched.add(row.id);
        }
        await lane.rows(run, rows);
      };

      await chunk(1, 60);
      // Live, after the run read 1..60: newer versions win over the snapshot rows already merged,
      // and older ones lose to them; a delete newer than a row read stays deleted.
      await during([upsert(5, 30), upsert(6, 15), remove(7, 25), remove(8, 15)]);
      // Live, before the run reads 61..200: the snapshot rows that come later are older (20) for
      // some keys and newer for others.
      await during([upsert(70, 30), upsert(71, 15), remove(72, 25), remove(73, 15), upsert(74, 20, 'tie')]);
      // Live inserts of keys the run never holds, one deleted again: they must survive the end.
      await during([upsert(500, 30), upsert(501, 30), remove(501, 31), upsert(502, 5)]);
      // A key the source deleted before the run read it (so not in the run), deleted live too.
      await during([remove(34, 35)]);
      await chunk(61, 120);
      await caughtUp();

      // The run shows on /status and in the metrics while it runs.
      const status = await statusOf(port);
      const table = status.lanes.flatMap((l) => l.tables).find((t) => t.table === contract.name)!;
      expect(table.snapshot).toMatchObject({
        run,
        rowsSeen: snapshotRows.filter((r) => r.id <= 120).length,
        total: snapshotRows.length,
      });
      expect(typeof table.snapshot!.rowsPerSecond).toBe('number');
      expect(table.snapshot!.etaSeconds === null || typeof table.snapshot!.etaSeconds === 'number').toBe(
        true,
      );
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`tablelane_snapshot_running{table="${contract.name}"} 1`);

      // Random live changes interleaved with the rest of the run, versions around the run's.
      for (let from = 121; from <= 200; from += 20) {
        const list = Array.from({ length: 8 }, () => {
          const id = 1 + Math.floor(random() * 230);
          const ver = 12 + Math.floor(random() * 20);
          return random() < 0.3 ? remove(id, ver) : upsert(id, ver);
        });
        await during(list);
        await chunk(from, from + 19);
      }
      await during([upsert(990, 40)]);
      await lane.end(run, snapshotRows.length);
      model.refreshed(touched);
      // After the end: a live change is an ordinary one again.
      // A key the refresh deleted stays deleted for a change older than its row was (its tombstone).
      await live([upsert(991, 1), upsert(905, 60), upsert(901, 9)]);
      await caughtUp();

      const target = (await pool.query(`SELECT id::int, val, ver::int FROM "${schema}".accounts ORDER BY id`))
        .rows;
      expect(target).toEqual(model.sorted());
      // The cases the model decides, spelled out.
      const byId = new Map(target.map((r) => [r.id, r]));
      expect(byId.get(5)).toEqual({ id: 5, val: 'v30', ver: 30 });
      expect(byId.get(6)).toEqual({ id: 6, val: 'snap 6', ver: 20 });
      expect(byId.has(7)).toBe(false);
      expect(byId.get(70)).toEqual({ id: 70, val: 'v30', ver: 30 });
      expect(byId.get(71)).toEqual({ id: 71, val: 'snap 71', ver: 20 });
      expect(byId.has(72)).toBe(false);
      expect(byId.get(74)).toEqual({ id: 74, val: 'snap 74', ver: 20 });
      expect(byId.get(500)).toEqual({ id: 500, val: 'v30', ver: 30 });
      expect(byId.has(501)).toBe(false);
      expect(byId.get(502)).toEqual({ id: 502, val: 'v5', ver: 5 });
      expect(byId.has(34)).toBe(false);
      expect(byId.has(900)).toBe(false);
      expect(byId.has(901)).toBe(false);
      expect(byId.get(905)).toEqual({ id: 905, val: 'v60', ver: 60 });
      expect(byId.get(991)).toEqual({ id: 991, val: 'v1', ver: 1 });

      expect(await runRecord(pool, state, contract, run)).toEqual({
        run,
        state: 'done',
        rows_seen: snapshotRows.length,
        rows_expected: snapshotRows.length,
        total: snapshotRows.length,
      });
      expect(await seenKeys(pool, state, contract)).toBe(0);
      await waitFor(
        'the run to leave /status',
        async () => (await statusOf(port)).lanes.every((l) => l.tables.every((t) => t.snapshot === null)),
        5000,
      );
      const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(after).toContain(`tablelane_snapshot_running{table="${contract.name}"} 0`);
      expect(after).toContain(
        `tablelane_snapshot_rows_total{table="${contract.name}"} ${snapshotRows.length}`,
      );
      expect(sink.output()).not.toContain('dead-letter topic');
    }, 120_000);
  },
);

/**
 * The same kind of run through reduceBatch, snapshotStep, the stager and each dialect's
 * destination in this process: the Redshift dialect's statements run on PostgreSQL in its
 * compatible mode (COPY FROM STDIN for COPY FROM S3), with a two-column key.
 */
describe.each([
  [
    'PostgreSQL',
    (state: string): Destination =>
      new PostgresDestination({
        pool: testConnection(),
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 5000,
      }),
  ],
  [
    'the Redshift dialect on PostgreSQL',
    (state: string): Destination =>
      new RedshiftDestination({
        pool: testConnection(),
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 5000,
        loadTimeoutMs: 60_000,
        lockTables: true,
        loader: new CopyFromStdinLoader(),
        dialect: { compatibility: 'postgres' },
      }),
  ],
])('snapshot runs merged by %s', (_name, create) => {
  it('refreshes in place with live changes, forgets a cancelled run, and records every run', async () => {
    const pool = testPool();
    const schema = uniqueName('snapd');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const config = parseConfig({
      tables: [
        {
          name: `${schema}.pairs`,
          columns: { a: 'bigint', b: 'text', val: 'text', ver: 'bigint' },
          primaryKey: ['a', 'b'],
          version: 'ver',
        },
      ],
    });
    const contract = config.tables[0]!;
    const destination = create(state);
    onTestFinished(() => destination.close());
    await destination.prepareTable(contract);
    let claim = await destination.claimLane(contract, 'changes', 0, 'snap');
    const runs = new TableSnapshots();
    runs.restore(await destination.readSnapshotRuns(contract));
    let offset = 0;
    const stager = new BatchStager(undefined, '');
    /** Applies the changes as the sink would: in batches cut at the markers. */
    const apply = async (raws: object[]) => {
      let buffer: BufferedChange[] = raws.map((raw) => ({
        offset: offset++,
        change: validateChange(config, { table: contract.name, ...raw }),
        bytes: 1,
        receivedAt: 0,
        raw: { key: null, value: null },
      }));
      while (buffer.length > 0) {
        const batch = buffer.slice(0, batchLength(buffer));
        buffer = buffer.slice(batch.length);
        const upTo = batch[batch.length - 1]!.offset;
        const step = snapshotStep(batch, runs);
        const rows = reduceBatch(contract, batch);
        const staged = await stager.stage(contract, 'changes', 0, batch[0]!.offset, upTo, rows, step.shape);
        await destination.applyBatch({
          contract,
          topic: 'changes',
          partition: 0,
          claim,
          nextOffset: upTo,
          rowCount: rows.length,
          ...staged,
        });
        claim = { ...claim, lastOffset: upTo };
        runs.apply(step);
      }
    };
    const up = (a: number, b: string, ver: number, more: object = {}) => ({
      op: 'upsert',
      row: { a, b, val: `${a}${b}@${ver}` },
      version: ver,
      ...more,
    });
    const del = (a: number, b: string, ver: number) => ({ op: 'delete', key: { a, b }, version: ver });
    const select = async () =>
      (await pool.query(`SELECT a::int, b, ver::int FROM "${schema}".pairs ORDER BY a, b`)).rows;

    await apply([up(1, 'x', 1), up(1, 'y', 1), up(2, 'x', 1), up(3, 'x', 1), up(4, 'x', 1)]);
    const snap = { snapshot: 'pairs@1' };
    await apply([
      { op: 'snapshot-begin', ...snap, ts: Date.now() - 60_000 },
      up(1, 'x', 5, snap),
      // Live: newer than the run's row that follows, a delete the run's later row must not undo,
      // an insert the run never holds.
      up(2, 'x', 9),
      del(3, 'x', 9),
      up(7, 'z', 9),
      up(2, 'x', 5, snap),
      up(3, 'x', 5, snap),
      up(5, 'x', 5, snap),
      { op: 'snapshot-end', ...snap, rows: 4 },
    ]);
    // (1,y) and (4,x) were not in the run: deleted, and tombstoned at their version (1).
    expect(await select()).toEqual([
      { a: 1, b: 'x', ver: 5 },
      { a: 2, b: 'x', ver: 9 },
      { a: 5, b: 'x', ver: 5 },
      { a: 7, b: 'z', ver: 9 },
    ]);
    await apply([up(4, 'x', 0), up(1, 'y', 2)]);
    expect((await select()).map((r) => `${r.a}${r.b}`)).toEqual(['1x', '1y', '2x', '5x', '7z']);

    const cancelled = { snapshot: 'pairs@2' };
    await apply([
      { op: 'snapshot-begin', ...cancelled },
      up(9, 'q', 6, cancelled),
      { op: 'snapshot-cancel', ...cancelled },
    ]);
    expect((await select()).map((r) => `${r.a}${r.b}`)).toEqual(['1x', '1y', '2x', '5x', '7z', '9q']);
    expect(runs.open).toBeUndefined();
    expect(
      (await destination.readSnapshotRuns(contract)).map(({ run, state, rowsSeen, rowsExpected }) => ({
        run,
        state,
        rowsSeen,
        rowsExpected,
      })),
    ).toEqual([
      { run: 'pairs@2', state: 'cancelled', rowsSeen: 1, rowsExpected: null },
      { run: 'pairs@1', state: 'done', rowsSeen: 4, rowsExpected: 4 },
    ]);
    const seen = await pool.query(
      `SELECT count(*)::int AS n FROM "${state}"."${stateTableName(contract, 'snapshot')}"`,
    );
    expect(seen.rows[0].n).toBe(0);
  });
});
