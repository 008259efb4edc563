import { describe, expect, it, onTestFinished } from 'vitest';
import { Readable } from 'node:stream';
import { parseConfig, type TableContract } from '@app/config';
import {
  CheckpointNotAdvancing,
  FencedError,
  isDataError,
  legacyStateTableName,
  StagingCountMismatch,
  stateTableName,
  type Destination,
  type LaneClaim,
  type StagedBatch,
  type StagedRow,
} from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool } from '../support/postgres';

/** Options a test may set on the destination it creates. */
export interface SubjectOptions {
  tombstoneRetentionMs?: number;
  tombstonePruneIntervalMs?: number;
}

/** A destination under test, and how its stager writes a batch. */
export interface DestinationSubject {
  create(stateSchema: string, options?: SubjectOptions): Destination;
  encode(rows: StagedRow[]): Buffer;
  /** Whether the warehouse enforces one tombstone per key with a unique index (Redshift has none). */
  uniqueTombstoneIndex: boolean;
}

const TOPIC = 'changes';

/**
 * One suite for every destination (Debezium JDBC sink's habit): merge, deletes, the version
 * guard across batches, append, fencing, the staged-count check and schema evolution, each
 * proven by what the warehouse holds afterwards. Every test has its own schemas, dropped at
 * its end, and its own destination, closed at its end.
 */
export function describeDestination(name: string, subject: DestinationSubject): void {
  describe(`destination suite: ${name}`, () => {
    function setup(tables: object[], options?: SubjectOptions) {
      const schema = uniqueName('wh');
      const state = uniqueName('tl');
      dropSchemasAfterTest(schema, state);
      const contracts = parseConfig({
        tables: tables.map((t) => ({ ...t, name: `${schema}.${(t as { name: string }).name}` })),
      }).tables;
      const destination = subject.create(state, options);
      onTestFinished(() => destination.close());
      return { schema, state, contracts, destination, pool: testPool() };
    }

    function batch(
      contract: TableContract,
      claim: LaneClaim,
      nextOffset: number,
      rows: StagedRow[],
      partition = 0,
    ): StagedBatch {
      const body = subject.encode(rows);
      return {
        contract,
        topic: TOPIC,
        partition,
        claim,
        nextOffset,
        rowCount: rows.length,
        openStagedData: async () => Readable.from([body]),
      };
    }

    /** Applies batches in lane order, each advancing the checkpoint from the last. */
    async function applyInOrder(destination: Destination, contract: TableContract, batches: StagedRow[][]) {
      let claim = await destination.claimLane(contract, TOPIC, 0, 'suite');
      for (const rows of batches) {
        const nextOffset = claim.lastOffset + rows.length;
        await destination.applyBatch(batch(contract, claim, nextOffset, rows));
        claim = { ...claim, lastOffset: nextOffset };
      }
      return claim;
    }

    it('claims a lane: the first claim starts before offset 0, every claim bumps the epoch', async () => {
      const { contracts, destination } = setup([
        { name: 'items', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] },
      ]);
      const [items] = contracts as [TableContract];
      await destination.prepareTable(items);
      const first = await destination.claimLane(items, TOPIC, 2, 'a');
      expect(first).toEqual({ lastOffset: -1, epoch: 1 });
      expect(await destination.claimLane(items, TOPIC, 2, 'b')).toEqual({ lastOffset: -1, epoch: 2 });
      expect(await destination.claimLane(items, TOPIC, 5, 'b')).toEqual({ lastOffset: -1, epoch: 1 });
      expect(await destination.readCheckpoints(items)).toMatchObject([
        { topic: TOPIC, partition: 2, lastOffset: -1, epoch: 2, owner: 'b' },
        { topic: TOPIC, partition: 5, lastOffset: -1, epoch: 1, owner: 'b' },
      ]);
    });

    it('merges upserts and deletes by primary key, keeping NULL, empty strings and special characters', async () => {
      const { schema, contracts, destination, pool } = setup([
        { name: 'items', columns: { id: 'bigint', val: 'text', note: 'varchar(40)' }, primaryKey: ['id'] },
      ]);
      const [items] = contracts as [TableContract];
      await destination.prepareTable(items);
      const claim = await applyInOrder(destination, items, [
        [
          { op: 'u', values: ['1', 'one', null] },
          { op: 'u', values: ['2', '', 'a,b "quoted"'] },
          { op: 'u', values: ['3', 'line1\nline2\r\n', '\\N'] },
          { op: 'u', values: ['4', 'ünï 表 🚀', 'back\\slash'] },
        ],
        [
          { op: 'u', values: ['1', 'ONE', ''] },
          { op: 'd', values: ['2', null, null] },
          { op: 'u', values: ['5', '  ', 'NULL'] },
        ],
      ]);
      const { rows } = await pool.query(`SELECT id, val, note FROM "${schema}".items ORDER BY id`);
      expect(rows).toEqual([
        { id: '1', val: 'ONE', note: '' },
        { id: '3', val: 'line1\nline2\r\n', note: '\\N' },
        { id: '4', val: 'ünï 表 🚀', note: 'back\\slash' },
        { id: '5', val: '  ', note: 'NULL' },
      ]);
      expect((await destination.readCheckpoints(items))[0]).toMatchObject({ lastOffset: claim.lastOffset });
    });

    it('never lets an older version win: not over a newer row, not over a newer delete, across batches', async () => {
      const { schema, contracts, destination, pool } = setup([
        {
          name: 'sales',
          columns: { salesid: 'bigint', listid: 'integer', qty: 'integer', ver: 'bigint' },
          primaryKey: ['salesid', 'listid'],
          version: 'ver',
        },
      ]);
      const [sales] = contracts as [TableContract];
      await destination.prepareTable(sales);
      const read = async () =>
        (await pool.query(`SELECT salesid, listid, qty, ver FROM "${schema}".sales ORDER BY salesid, listid`))
          .rows;
      let claim = await destination.claimLane(sales, TOPIC, 0, 'suite');
      const apply = async (rows: StagedRow[]) => {
        const next = claim.lastOffset + rows.length;
        await destination.applyBatch(batch(sales, claim, next, rows));
        claim = { ...claim, lastOffset: next };
      };

      await apply([
        { op: 'u', values: ['1', '1', '10', '5'] },
        { op: 'u', values: ['2', '1', '20', '5'] },
      ]);
      // Older upserts: ignored.
      await apply([
        { op: 'u', values: ['1', '1', '99', '3'] },
        { op: 'u', values: ['2', '1', '21', '6'] },
      ]);
      expect(await read()).toEqual([
        { salesid: '1', listid: 1, qty: 10, ver: '5' },
        { salesid: '2', listid: 1, qty: 21, ver: '6' },
      ]);
      // A delete at version 7, then an upsert at version 6 in a later batch: the row stays deleted.
      await apply([{ op: 'd', values: ['1', '1', null, '7'] }]);
      await apply([{ op: 'u', values: ['1', '1', '66', '6'] }]);
      // An older delete does not remove a newer row.
      await apply([{ op: 'd', values: ['2', '1', null, '4'] }]);
      expect(await read()).toEqual([{ salesid: '2', listid: 1, qty: 21, ver: '6' }]);
      // A newer upsert brings the deleted key back.
      await apply([{ op: 'u', values: ['1', '1', '80', '8'] }]);
      expect(await read()).toEqual([
        { salesid: '1', listid: 1, qty: 80, ver: '8' },
        { salesid: '2', listid: 1, qty: 21, ver: '6' },
      ]);
    });

    it('appends every row of an append table, duplicates included', async () => {
      const { schema, contracts, destination, pool } = setup([
        { name: 'clicks', mode: 'append', columns: { id: 'text', url: 'text' } },
      ]);
      const [clicks] = contracts as [TableContract];
      await destination.prepareTable(clicks);
      await applyInOrder(destination, clicks, [
        [
          { op: 'u', values: ['a', '/x'] },
          { op: 'u', values: ['b', null] },
        ],
        [{ op: 'u', values: ['a', '/x'] }],
      ]);
      const { rows } = await pool.query(`SELECT id, url FROM "${schema}".clicks ORDER BY id, url`);
      expect(rows).toEqual([
        { id: 'a', url: '/x' },
        { id: 'a', url: '/x' },
        { id: 'b', url: null },
      ]);
    });

    it('fences a stale owner: its batch rolls back whole, the new owner applies the same offsets', async () => {
      const { schema, contracts, destination, pool } = setup([
        {
          name: 'items',
          columns: { id: 'bigint', val: 'text', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ]);
      const [items] = contracts as [TableContract];
      await destination.prepareTable(items);
      const old = await destination.claimLane(items, TOPIC, 3, 'old');
      await destination.applyBatch(batch(items, old, 9, [{ op: 'u', values: ['1', 'old', '1'] }], 3));
      const fresh = await destination.claimLane(items, TOPIC, 3, 'new');
      expect(fresh).toEqual({ lastOffset: 9, epoch: old.epoch + 1 });

      const stale = batch(
        items,
        { ...old, lastOffset: 9 },
        19,
        [
          { op: 'd', values: ['1', null, '2'] },
          { op: 'u', values: ['2', 'STALE', '1'] },
        ],
        3,
      );
      await expect(destination.applyBatch(stale)).rejects.toBeInstanceOf(FencedError);
      // Rolled back whole: no row, no tombstone, no checkpoint move.
      expect((await pool.query(`SELECT id, val FROM "${schema}".items ORDER BY id`)).rows).toEqual([
        { id: '1', val: 'old' },
      ]);

      await destination.applyBatch(batch(items, fresh, 19, [{ op: 'u', values: ['2', 'new', '1'] }], 3));
      expect((await pool.query(`SELECT id, val FROM "${schema}".items ORDER BY id`)).rows).toEqual([
        { id: '1', val: 'old' },
        { id: '2', val: 'new' },
      ]);
      expect(await destination.readCheckpoints(items)).toMatchObject([
        { partition: 3, lastOffset: 19, epoch: fresh.epoch, owner: 'new' },
      ]);
      // A claim that went stale by an older checkpoint offset is fenced too.
      await expect(
        destination.applyBatch(batch(items, fresh, 29, [{ op: 'u', values: ['3', 'x', '1'] }], 3)),
      ).rejects.toBeInstanceOf(FencedError);
    });

    it('never merges a batch whose loaded row count differs from the staged count', async () => {
      const { schema, contracts, destination, pool } = setup([
        { name: 'items', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] },
      ]);
      const [items] = contracts as [TableContract];
      await destination.prepareTable(items);
      const claim = await destination.claimLane(items, TOPIC, 0, 'suite');
      const short = { ...batch(items, claim, 4, [{ op: 'u', values: ['1', 'x'] }]), rowCount: 2 };
      await expect(destination.applyBatch(short)).rejects.toBeInstanceOf(StagingCountMismatch);
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".items`)).rows).toEqual([{ n: 0 }]);
      expect((await destination.readCheckpoints(items))[0]).toMatchObject({ lastOffset: -1 });
      // The same batch with the right count goes through on the same claim.
      await destination.applyBatch(batch(items, claim, 4, [{ op: 'u', values: ['1', 'x'] }]));
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".items`)).rows).toEqual([{ n: 1 }]);
    });

    it('round-trips every column type, and adds columns new to the contract', async () => {
      const columns = {
        id: 'bigint',
        n: 'integer',
        amount: 'numeric(18,4)',
        ratio: 'double',
        flag: 'boolean',
        day: 'date',
        at: 'timestamp',
        atz: 'timestamptz',
        doc: 'json',
      };
      const { schema, contracts, destination, pool } = setup([
        { name: 'typed', columns, primaryKey: ['id'] },
      ]);
      const [typed] = contracts as [TableContract];
      await destination.prepareTable(typed);
      await applyInOrder(destination, typed, [
        [
          {
            op: 'u',
            values: [
              '9223372036854775807',
              '-2147483648',
              '12345678901234.5678',
              '0.1',
              'true',
              '2026-01-31',
              '2026-01-31T12:00:00.123456',
              '2026-01-31T12:00:00.5+02:00',
              '{"a":[1,"x,\\"y\\""],"b":null}',
            ],
          },
        ],
      ]);
      const { rows } = await pool.query(
        `SELECT id::text, n, amount::text, ratio, flag, day::text, at::text, (atz AT TIME ZONE 'UTC')::text AS atz, doc::text FROM "${schema}".typed`,
      );
      expect(rows[0]).toMatchObject({
        id: '9223372036854775807',
        n: -2147483648,
        amount: '12345678901234.5678',
        ratio: 0.1,
        flag: true,
        day: '2026-01-31',
        at: '2026-01-31 12:00:00.123456',
        atz: '2026-01-31 10:00:00.5',
      });
      expect(JSON.parse(rows[0].doc)).toEqual({ a: [1, 'x,"y"'], b: null });

      const [evolved] = parseConfig({
        tables: [{ name: typed.name, columns: { ...columns, extra: 'varchar(10)' }, primaryKey: ['id'] }],
      }).tables as [TableContract];
      await destination.prepareTarget(evolved);
      await destination.prepareTarget(evolved);
      const listed = await pool.query(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [schema, 'typed'],
      );
      expect(listed.rows.map((r) => r.column_name)).toEqual([...Object.keys(columns), 'extra']);
    });
    it('treats the retry of a batch that already committed (an ambiguous COMMIT) as done, not as fencing', async () => {
      const { schema, contracts, destination, pool } = setup([
        { name: 'clicks', mode: 'append', columns: { id: 'text', url: 'text' } },
      ]);
      const [clicks] = contracts as [TableContract];
      await destination.prepareTable(clicks);
      const claim = await destination.claimLane(clicks, TOPIC, 0, 'suite');
      const rows: StagedRow[] = [
        { op: 'u', values: ['a', '/x'] },
        { op: 'u', values: ['b', '/y'] },
      ];
      expect(await destination.applyBatch(batch(clicks, claim, 1, rows))).toEqual({
        alreadyCommitted: false,
      });
      // The reply to COMMIT was lost: the sink retries the very same batch on the same claim.
      expect(await destination.applyBatch(batch(clicks, claim, 1, rows))).toEqual({ alreadyCommitted: true });
      expect((await pool.query(`SELECT id, url FROM "${schema}".clicks ORDER BY id`)).rows).toEqual([
        { id: 'a', url: '/x' },
        { id: 'b', url: '/y' },
      ]);
      expect((await destination.readCheckpoints(clicks))[0]).toMatchObject({
        lastOffset: 1,
        epoch: claim.epoch,
      });
      // Our epoch at another offset is not our batch: fenced.
      await expect(destination.applyBatch(batch(clicks, claim, 5, rows))).rejects.toBeInstanceOf(FencedError);
      // An older epoch at exactly that offset is another owner's batch: fenced too.
      const fresh = await destination.claimLane(clicks, TOPIC, 0, 'next');
      await destination.applyBatch(batch(clicks, fresh, 3, [{ op: 'u', values: ['c', '/z'] }]));
      await expect(
        destination.applyBatch(batch(clicks, { ...claim, lastOffset: 1 }, 3, rows)),
      ).rejects.toBeInstanceOf(FencedError);
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".clicks`)).rows).toEqual([
        { n: 3 },
      ]);
    });

    it('refuses, before any SQL, a batch that would not move the checkpoint strictly forward', async () => {
      const { schema, contracts, destination, pool } = setup([
        { name: 'clicks', mode: 'append', columns: { id: 'text', url: 'text' } },
      ]);
      const [clicks] = contracts as [TableContract];
      await destination.prepareTable(clicks);
      let claim = await destination.claimLane(clicks, TOPIC, 0, 'suite');
      await destination.applyBatch(batch(clicks, claim, 4, [{ op: 'u', values: ['a', '/x'] }]));
      claim = { ...claim, lastOffset: 4 };
      // previous = next = 4: the compare-and-set used to pass and append the rows again.
      await expect(
        destination.applyBatch(batch(clicks, claim, 4, [{ op: 'u', values: ['a', '/x'] }])),
      ).rejects.toBeInstanceOf(CheckpointNotAdvancing);
      await expect(
        destination.applyBatch(batch(clicks, claim, 2, [{ op: 'u', values: ['a', '/x'] }])),
      ).rejects.toBeInstanceOf(CheckpointNotAdvancing);
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".clicks`)).rows).toEqual([
        { n: 1 },
      ]);
    });

    it('probes a batch without landing anything: the refusal of a bad value, or nothing for a good one', async () => {
      const { schema, state, contracts, destination, pool } = setup([
        {
          name: 'orders',
          columns: { id: 'bigint', amount: 'numeric(8,2)', day: 'date', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ]);
      const [orders] = contracts as [TableContract];
      await destination.prepareTable(orders);
      const claim = await destination.claimLane(orders, TOPIC, 0, 'suite');
      const good: StagedRow[] = [
        { op: 'u', values: ['1', '12.50', '2026-02-28', '1'] },
        { op: 'd', values: ['2', null, null, '1'] },
      ];
      // Values validation would refuse, passed straight to the warehouse.
      const overflow: StagedRow[] = [...good, { op: 'u', values: ['3', '123456789.00', '2026-01-01', '1'] }];
      const badDate: StagedRow[] = [...good, { op: 'u', values: ['4', '1.00', '2026-02-30', '1'] }];

      expect(await destination.probeBatch(batch(orders, claim, 2, good))).toBeUndefined();
      for (const rows of [overflow, badDate]) {
        const refusal = await destination.probeBatch(batch(orders, claim, 2, rows));
        expect(isDataError(refusal)).toBe(true);
        expect((refusal as { code?: string }).code).toMatch(/^22/);
        await expect(destination.applyBatch(batch(orders, claim, 2, rows))).rejects.toSatisfy(isDataError);
      }
      // Not a data error: rethrown, for the retry loop.
      await expect(
        destination.probeBatch({ ...batch(orders, claim, 2, good), rowCount: 3 }),
      ).rejects.toBeInstanceOf(StagingCountMismatch);

      const tombstones = `"${state}"."${stateTableName(orders, 'tombstone')}"`;
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".orders`)).rows).toEqual([
        { n: 0 },
      ]);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${tombstones}`)).rows).toEqual([{ n: 0 }]);
      expect((await destination.readCheckpoints(orders))[0]).toMatchObject({ lastOffset: -1 });
      // Probes never touched the checkpoint: the claim still applies.
      await destination.applyBatch(batch(orders, claim, 2, good));
      expect((await pool.query(`SELECT id, amount::text FROM "${schema}".orders`)).rows).toEqual([
        { id: '1', amount: '12.50' },
      ]);
    });

    it('prunes tombstones after the retention: until then an older upsert stays deleted, after it the row returns', async () => {
      const { state, contracts, destination, pool } = setup(
        [
          {
            name: 'items',
            columns: { id: 'bigint', val: 'text', ver: 'bigint' },
            primaryKey: ['id'],
            version: 'ver',
          },
        ],
        { tombstoneRetentionMs: 1500, tombstonePruneIntervalMs: 0 },
      );
      const [items] = contracts as [TableContract];
      const tombstones = `"${state}"."${stateTableName(items, 'tombstone')}"`;
      await destination.prepareTable(items);
      let claim = await destination.claimLane(items, TOPIC, 0, 'suite');
      const apply = async (rows: StagedRow[]) => {
        await destination.applyBatch(batch(items, claim, claim.lastOffset + 1, rows));
        claim = { ...claim, lastOffset: claim.lastOffset + 1 };
      };
      const read = async () =>
        (await pool.query(`SELECT id, val FROM "${items.schema}".items ORDER BY id`)).rows;
      await apply([{ op: 'u', values: ['1', 'v5', '5'] }]);
      await apply([{ op: 'd', values: ['1', null, '7'] }]);
      await apply([{ op: 'u', values: ['1', 'v6', '6'] }]);
      expect(await read()).toEqual([]);
      expect((await pool.query(`SELECT id, ver FROM ${tombstones}`)).rows).toEqual([{ id: '1', ver: '7' }]);

      await new Promise((resolve) => setTimeout(resolve, 2000));
      await apply([{ op: 'u', values: ['2', 'other', '1'] }]);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${tombstones}`)).rows).toEqual([{ n: 0 }]);
      // The documented limit: a change delayed beyond the retention resurrects the row.
      await apply([{ op: 'u', values: ['1', 'v6', '6'] }]);
      expect(await read()).toEqual([
        { id: '1', val: 'v6' },
        { id: '2', val: 'other' },
      ]);
    });

    it('brings a tombstone table of an older release up to date: record time, and one row per key', async () => {
      const { state, contracts, destination, pool } = setup([
        {
          name: 'items',
          columns: { id: 'bigint', val: 'text', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ]);
      const [items] = contracts as [TableContract];
      const tombstones = `"${state}"."${stateTableName(items, 'tombstone')}"`;
      await pool.query(`CREATE SCHEMA "${state}"`);
      await pool.query(`CREATE TABLE ${tombstones} (id bigint, ver bigint)`);
      await pool.query(`INSERT INTO ${tombstones} VALUES (1, 5), (1, 7), (2, 3), (2, 3)`);
      await destination.prepareTable(items);
      await destination.prepareTable(items);
      const { rows } = await pool.query(
        `SELECT id, ver, recorded_at IS NOT NULL AS dated FROM ${tombstones} ORDER BY id, ver`,
      );
      if (subject.uniqueTombstoneIndex) {
        expect(rows).toEqual([
          { id: '1', ver: '7', dated: true },
          { id: '2', ver: '3', dated: true },
        ]);
        await expect(pool.query(`INSERT INTO ${tombstones} (id, ver) VALUES (1, 9)`)).rejects.toMatchObject({
          code: '23505',
        });
      } else {
        expect(rows.every((r) => r.dated)).toBe(true);
      }
      // The guard still reads them: an upsert older than the remembered delete stays out.
      const claim = await destination.claimLane(items, TOPIC, 0, 'suite');
      await destination.applyBatch(batch(items, claim, 0, [{ op: 'u', values: ['1', 'old', '6'] }]));
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${items.schema}".items`)).rows).toEqual([
        { n: 0 },
      ]);
    });

    it('gives colliding names their own state tables, and migrates a legacy-named one', async () => {
      const { schema, state, destination } = setup([
        { name: 'unused', columns: { id: 'bigint' }, primaryKey: ['id'] },
      ]);
      const euSchema = `${schema}__eu`;
      dropSchemasAfterTest(euSchema);
      const [euOrders, orders] = parseConfig({
        tables: [
          { name: `${euSchema}.orders`, columns: { id: 'bigint' }, primaryKey: ['id'] },
          { name: `${schema}.eu__orders`, columns: { id: 'bigint' }, primaryKey: ['id'] },
        ],
      }).tables as [TableContract, TableContract];
      expect(legacyStateTableName(euOrders, 'checkpoint')).toBe(legacyStateTableName(orders, 'checkpoint'));
      // An older release created the shared, legacy-named checkpoint table for the first one.
      const pool = testPool();
      const legacy = `"${state}"."${legacyStateTableName(euOrders, 'checkpoint')}"`;
      await pool.query(`CREATE SCHEMA "${state}"`);
      await pool.query(
        `CREATE TABLE ${legacy} (topic varchar(249) NOT NULL, partition integer NOT NULL, last_offset bigint NOT NULL, ` +
          'epoch bigint NOT NULL, owner varchar(256), claimed_at timestamptz, committed_at timestamptz)',
      );
      await pool.query(`INSERT INTO ${legacy} (topic, partition, last_offset, epoch) VALUES ($1, 0, 41, 3)`, [
        TOPIC,
      ]);

      await destination.prepareTable(euOrders);
      expect(await destination.claimLane(euOrders, TOPIC, 0, 'suite')).toEqual({ lastOffset: 41, epoch: 4 });
      // The legacy table was shared: the other table inherits it whole too, as it read it before.
      await destination.prepareTable(orders);
      expect(await destination.claimLane(orders, TOPIC, 0, 'suite')).toEqual({ lastOffset: 41, epoch: 4 });
      // Separate tables now: claiming one never bumps the other's epoch.
      expect(await destination.claimLane(euOrders, TOPIC, 0, 'suite')).toEqual({ lastOffset: 41, epoch: 5 });
      expect((await destination.readCheckpoints(orders))[0]).toMatchObject({ epoch: 4 });
    });
  });
}
