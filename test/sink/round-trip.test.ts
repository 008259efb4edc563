import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { validateChange } from '@app/contracts';
import { S3ObjectStore } from '@app/staging';
import { PostgresDestination } from '@app/warehouse';
import { BatchStager } from '@app/sink/flush/batch-stager';
import { reduceBatch } from '@app/sink/lane/reduce-batch';
import { stackEnv, uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool, testConnection } from '../support/postgres';
import { deleteObject, testS3Client } from '../support/s3';

const columns = {
  id: 'integer',
  t: 'text',
  v: 'varchar(64)',
  i: 'integer',
  b: 'bigint',
  n: 'numeric(38,10)',
  d: 'double',
  flag: 'boolean',
  day: 'date',
  ts: 'timestamp',
  tz: 'timestamptz',
  j: 'json',
};

// Each row probes edge cases of every type; SQL compares values in their own type.
const rows: Record<string, unknown>[] = [
  {
    id: 1,
    t: null,
    v: null,
    i: null,
    b: null,
    n: null,
    d: null,
    flag: null,
    day: null,
    ts: null,
    tz: null,
    j: null,
  },
  {
    id: 2,
    t: '',
    v: '',
    i: 0,
    b: '0',
    n: '0',
    d: 0,
    flag: false,
    day: '1970-01-01',
    ts: '1970-01-01T00:00:00',
    tz: '1970-01-01T00:00:00Z',
    j: {},
  },
  {
    id: 3,
    t: 'a,b;c|d\te',
    v: "quote \" and 'single'",
    i: 2147483647,
    b: '9223372036854775807',
    n: '1234567890123456789012345678.0123456789',
    d: 1.7976931348623157e308,
    flag: true,
    day: '2026-02-28',
    ts: '2026-02-28 23:59:59.999999',
    tz: '2026-02-28T23:59:59.999999+05:30',
    j: { nested: { a: [1, 'two', null, true] }, 'quote"key': 'v' },
  },
  {
    id: 4,
    t: 'line1\nline2\r\nline3',
    v: '\\N',
    i: -2147483648,
    b: '-9223372036854775808',
    n: '-0.0000000001',
    d: -2.5e-300,
    flag: 'true',
    day: '0001-01-01',
    ts: '2000-01-01T12:00',
    tz: '2000-01-01T12:00:00-08:00',
    j: [1, 2, 3],
  },
  {
    id: 5,
    t: 'ünïcödé 表 🚀 \u00a0',
    v: 'NULL',
    i: 42,
    b: 9007199254740991,
    n: 3.14,
    d: 0.1,
    flag: 'false',
    day: '2024-02-29',
    ts: '2024-02-29T00:00:00.5',
    tz: '2024-02-29T00:00:00.000001Z',
    j: 'just a string',
  },
  {
    id: 6,
    t: '\\',
    v: '"',
    i: 7,
    b: '9007199254740993',
    n: '99999999999999999999999999.9999999999',
    d: 'NaN',
    flag: false,
    day: '2026-12-31',
    ts: '2026-12-31T23:59:59',
    tz: '2026-12-31T23:59:59+14:00',
    j: 12.5,
  },
];

describe('value round-trip through S3 staging and COPY', () => {
  it.each(['s3', 'direct'] as const)(
    'loads every supported type exactly (staging: %s), with NULL, empty strings, delimiters, newlines, unicode and extremes',
    async (staging) => {
      const pool = testPool();
      const schema = uniqueName('rt');
      const state = uniqueName('tl');
      dropSchemasAfterTest(schema, state);
      const config = parseConfig({ tables: [{ name: `${schema}.types`, columns, primaryKey: ['id'] }] });
      const contract = config.tables[0]!;
      const destination = new PostgresDestination({
        pool: testConnection(),
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 5000,
      });
      const s3 = testS3Client();
      const store = new S3ObjectStore(s3, stackEnv.S3_BUCKET);
      await destination.prepareTable(contract);
      const changes = rows.map((row, offset) => ({
        offset,
        change: validateChange(config, { table: contract.name, op: 'upsert', row }),
        bytes: 1,
        receivedAt: 0,
        raw: { key: null, value: null },
      }));
      const reduced = reduceBatch(contract, changes);
      const staged = await new BatchStager(staging === 's3' ? store : undefined, `it/${schema}`).stage(
        contract,
        'changes',
        0,
        0,
        rows.length - 1,
        reduced,
      );
      expect(staged.stagedUri).toBe(
        staging === 'direct'
          ? undefined
          : `s3://${stackEnv.S3_BUCKET}/it/${schema}/${contract.name}/changes/0/${'0'.padStart(20, '0')}-${String(rows.length - 1).padStart(20, '0')}.csv`,
      );
      const claim = await destination.claimLane(contract, 'changes', 0, 'rt');
      await destination.applyBatch({
        contract,
        topic: 'changes',
        partition: 0,
        claim,
        nextOffset: rows.length - 1,
        rowCount: reduced.length,
        ...staged,
      });

      for (const change of changes) {
        const values = change.change.values;
        const checks = contract.columns.map(
          (c, i) =>
            `("${c.name}" IS NOT DISTINCT FROM $${i + 1}::${c.type.kind === 'json' ? 'jsonb' : c.type.kind === 'double' ? 'float8' : c.type.kind === 'numeric' ? 'numeric' : c.type.kind === 'varchar' ? 'varchar' : c.type.kind}) AS "${c.name}"`,
        );
        const result = await pool.query(
          `SELECT ${checks.join(', ')} FROM "${schema}".types WHERE id = ${Number(values.id)}`,
          contract.columns.map((c) => values[c.name]),
        );
        expect(result.rows).toHaveLength(1);
        expect(Object.entries(result.rows[0]).filter(([, same]) => same !== true)).toEqual([]);
      }
      // Text comes back byte for byte (not only equal after a cast).
      const text = await pool.query(`SELECT id, t, v FROM "${schema}".types ORDER BY id`);
      expect(text.rows.map((r) => [r.t, r.v])).toEqual(rows.map((r) => [r.t ?? null, r.v ?? null]));
      const exact = await pool.query(`SELECT b::text, n::text FROM "${schema}".types WHERE id = 6`);
      expect(exact.rows[0]).toEqual({ b: '9007199254740993', n: '99999999999999999999999999.9999999999' });

      if (staged.stagedUri) await deleteObject(s3, staged.stagedUri);
      await destination.close();
    },
  );
});
