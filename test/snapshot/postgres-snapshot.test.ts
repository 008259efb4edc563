import { describe, expect, it } from 'vitest';
import { snapshotSuite, until, type LaneEvent } from './support/snapshot-harness';

const ORDER_LINES = {
  name: 'app.order_lines',
  columns: {
    order_id: 'bigint',
    line: 'integer',
    sku: 'varchar(32)',
    qty: 'integer',
    price: 'numeric(12,2)',
    note: 'text',
    updated_at: 'timestamptz',
    attrs: 'json',
    active: 'boolean',
  },
  primaryKey: ['order_id', 'line'],
  version: 'updated_at',
};

/** 12,500 orders of 4 lines: 50,000 rows, a NULL on every third line, a few hard values. */
async function seedOrderLines(pool: { query(sql: string): Promise<unknown> }, schema: string): Promise<void> {
  await pool.query(`
    CREATE TABLE "${schema}".order_lines (
      order_id bigint, line integer, sku varchar(32), qty integer, price numeric(12,2), note text,
      updated_at timestamptz, attrs jsonb, active boolean, PRIMARY KEY (order_id, line));
    INSERT INTO "${schema}".order_lines
      SELECT o, l, 'SKU-' || o || '-' || l, (o * l) % 100, ((o * 31 + l) % 100000) / 100.0,
             CASE WHEN l = 3 THEN NULL ELSE 'note ' || o END,
             timestamptz '2026-01-01 00:00:00+00' + o * interval '1 second' + l * interval '1 millisecond',
             jsonb_build_object('o', o, 'tags', jsonb_build_array('a', l)), (o + l) % 2 = 0
      FROM generate_series(1, 12500) o, generate_series(1, 4) l;
    UPDATE "${schema}".order_lines SET note = E'tab\\there\\nnew line \\\\ back ''quote" ☃ \\\\N'
      WHERE order_id = 7 AND line = 1;
    UPDATE "${schema}".order_lines SET note = '', sku = 'ünïcødé ☃' WHERE order_id = 7 AND line = 2;
    UPDATE "${schema}".order_lines SET price = -0.01, qty = NULL, active = NULL, attrs = 'null' WHERE order_id = 7 AND line = 4;
    ANALYZE "${schema}".order_lines;`);
}

/** The source rows in key order, in text forms a lane row is compared with. */
async function sourceRows(
  pool: { query(sql: string): Promise<{ rows: Record<string, unknown>[] }> },
  schema: string,
) {
  const { rows } = await pool.query(`
    SELECT t.order_id::text, t.line, t.sku, t.qty, t.price::text, t.note,
           (extract(epoch FROM t.updated_at) * 1000)::bigint::text AS ms, t.attrs::text, t.active
    FROM "${schema}".order_lines t ORDER BY t.order_id, t.line`);
  return rows;
}

const upserts = (lane: LaneEvent[]) => lane.filter((e) => e.op === 'upsert');

describe('tablelane snapshot from PostgreSQL', () => {
  it('publishes begin, every row of a composite-key table exactly once in key order, and end with the count', async () => {
    const suite = await snapshotSuite('snap-pg', ORDER_LINES);
    await seedOrderLines(suite.source.pool, suite.source.name);
    const started = Date.now();
    const result = await suite.cli(suite.snapshotArgs('--json'));
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { run: string; rows: number; resumed: boolean };
    console.log(`snapshot of 50,000 rows: ${Date.now() - started} ms (CLI start to exit)`);
    expect(summary).toMatchObject({ rows: 50_000, resumed: false, state: 'done' });

    const lane = await suite.readLane();
    expect(lane[0]).toEqual({
      table: 'app.order_lines',
      op: 'snapshot-begin',
      snapshot: summary.run,
      ts: expect.any(Number),
    });
    expect(lane.at(-1)).toEqual({
      table: 'app.order_lines',
      op: 'snapshot-end',
      snapshot: summary.run,
      rows: 50_000,
    });
    expect(lane.every((e) => e.table === 'app.order_lines' && e.snapshot === summary.run)).toBe(true);
    const rows = upserts(lane);
    expect(rows).toHaveLength(50_000);
    expect(lane).toHaveLength(50_002);

    // Every source row, in key order, with its exact values.
    const expected = await sourceRows(suite.source.pool, suite.source.name);
    rows.forEach(({ row }, i) => {
      const want = expected[i]!;
      expect(
        {
          order_id: row!.order_id,
          line: row!.line,
          sku: row!.sku,
          qty: row!.qty,
          price: row!.price,
          note: row!.note,
          ms: String(Date.parse(String(row!.updated_at))),
          attrs: row!.attrs,
          active: row!.active,
        },
        `row ${i}`,
      ).toEqual({ ...want, attrs: JSON.parse(String(want.attrs)) });
    });
    expect(rows.find((e) => e.row!.order_id === '7' && e.row!.line === 1)!.row!.note).toBe(
      'tab\there\nnew line \\ back \'quote" ☃ \\N',
    );
    expect(rows.find((e) => e.row!.order_id === '7' && e.row!.line === 4)!.row).toMatchObject({
      price: '-0.01',
      qty: null,
      active: null,
    });
    expect(rows[0]!.row!.updated_at).toBe('2026-01-01T00:00:01.001Z');

    const progress = await suite.progress();
    expect(progress).toMatchObject({
      run: summary.run,
      state: 'done',
      rows: 50_000,
      owner: null,
      total: 50_000,
    });
    expect(progress!.lastKey).toEqual({ order_id: '12500', line: '4' });

    const status = await suite.pipeline.cliJson<{ table: string; state: string; rows: number }[]>(
      suite.config,
      ['snapshot', 'status'],
    );
    expect(status).toEqual([
      expect.objectContaining({ table: 'app.order_lines', state: 'done', rows: 50_000 }),
    ]);
  });

  it('resumes after SIGKILL: the same run, no second begin, every row exactly once, with bounded memory', async () => {
    const suite = await snapshotSuite('snap-kill', {
      name: 'app.blobs',
      columns: { id: 'bigint', payload: 'text' },
      primaryKey: ['id'],
    });
    const ROWS = 100_000;
    // 100,000 rows of 992 characters: about 100 MB in the source, as many on the lane.
    await suite.source.pool.query(`
      CREATE TABLE "${suite.source.name}".blobs (id bigint PRIMARY KEY, payload text NOT NULL);
      INSERT INTO "${suite.source.name}".blobs SELECT i, repeat(md5(i::text), 31) FROM generate_series(1, ${ROWS}) i;
      ANALYZE "${suite.source.name}".blobs;`);
    const { rows: size } = await suite.source.pool.query(
      `SELECT pg_total_relation_size('"${suite.source.name}".blobs') AS bytes`,
    );
    const args = suite.snapshotArgs('--chunk-rows', '2000', '--heartbeat-ms', '1000', '--json');
    // V8 sizes its heap by the memory it sees and collects lazily below that, so RSS says little
    // unless the heap is bounded, as a job's is (the CronJob example bounds it too). A 64 MiB
    // heap cannot hold this table: finishing within it shows memory stays bounded whatever the
    // table's size, and the RSS measured is what such a job needs.
    const node = ['--max-old-space-size=64', '--max-semi-space-size=8'];
    const started = Date.now();
    const first = suite.spawn(args, node);
    await until(
      'a part of the snapshot to commit',
      async () => ((await suite.progress('uncommitted'))?.rows ?? 0) >= 30_000,
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = (await suite.progress('uncommitted'))!;
    expect(killedAt.state).toBe('running');
    expect(killedAt.rows).toBeLessThan(ROWS);

    // The dead process's heartbeat goes stale after 2 s; --wait waits for that, then resumes.
    const second = suite.spawn([...args, '--wait'], node);
    expect(await second.exited, second.output()).toBe(0);
    const summary = JSON.parse(second.stdout()) as {
      run: string;
      rows: number;
      resumed: boolean;
      rowsWritten: number;
    };
    const seconds = (Date.now() - started) / 1000;
    expect(summary).toMatchObject({ run: killedAt.run, rows: ROWS, resumed: true });
    expect(summary.rowsWritten).toBeLessThan(ROWS);

    const lane = await suite.readLane();
    expect(lane.filter((e) => e.op === 'snapshot-begin')).toHaveLength(1);
    expect(lane.filter((e) => e.op === 'snapshot-end')).toEqual([
      { table: 'app.blobs', op: 'snapshot-end', snapshot: killedAt.run, rows: ROWS },
    ]);
    const ids = upserts(lane).map((e) => Number(e.row!.id));
    expect(ids).toHaveLength(ROWS);
    expect(ids.every((id, i) => id === i + 1)).toBe(true);
    expect(upserts(lane).every((e) => (e.row!.payload as string).length === 992)).toBe(true);
    expect(new Set(lane.map((e) => e.snapshot))).toEqual(new Set([killedAt.run]));

    const peak = Math.max(first.peakRssMiB(), second.peakRssMiB());
    console.log(
      `source ${(Number(size[0]!.bytes) / 2 ** 20).toFixed(0)} MiB, ${ROWS} rows; killed at ${killedAt.rows} rows; ` +
        `resumed run wrote ${summary.rowsWritten}; peak RSS ${first.peakRssMiB().toFixed(0)} MiB (killed) and ` +
        `${second.peakRssMiB().toFixed(0)} MiB (resumed); ${seconds.toFixed(1)} s in all`,
    );
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(200);
  });

  it('refuses a second snapshot of a table while one runs, naming it; cancel stops the running one', async () => {
    const suite = await snapshotSuite('snap-lock', ORDER_LINES);
    await seedOrderLines(suite.source.pool, suite.source.name);
    // A lock holds the first snapshot in its first query, after its begin marker.
    const blocker = await suite.source.pool.connect();
    await blocker.query(`BEGIN; LOCK TABLE "${suite.source.name}".order_lines IN ACCESS EXCLUSIVE MODE`);
    try {
      const args = suite.snapshotArgs();
      const first = suite.spawn([...args, '--heartbeat-ms', '1000']);
      await until(
        'the first snapshot to begin',
        async () => (await suite.progress('uncommitted'))?.state === 'running',
      );
      const running = (await suite.progress('uncommitted'))!;

      const second = await suite.cli(args);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `a snapshot of app.order_lines is running since ${running.startedAt} (run ${running.run}, pid ${first.child.pid} on `,
      );
      expect(second.stderr).toContain('cancel it with `tablelane snapshot cancel --table app.order_lines`');

      const cancel = await suite.cli(['snapshot', 'cancel', '--table', 'app.order_lines']);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toContain(`cancelled snapshot ${running.run} of app.order_lines after 0 rows`);
      // Fenced by the cancel, the running process stops at its next heartbeat, saying why.
      expect(await first.exited).toBe(1);
      expect(first.output()).toContain(`the snapshot ${running.run} of app.order_lines was cancelled`);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const lane = await suite.readLane();
    expect(lane.map((e) => e.op)).toEqual(['snapshot-begin', 'snapshot-cancel']);
    expect(await suite.progress()).toMatchObject({ state: 'cancelled', owner: null });
    const again = await suite.cli(['snapshot', 'cancel', '--table', 'app.order_lines']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no snapshot of app.order_lines is running');
  });

  it('stops cleanly on SIGTERM after the chunk in flight, resumable at once', async () => {
    const suite = await snapshotSuite('snap-term', ORDER_LINES);
    await seedOrderLines(suite.source.pool, suite.source.name);
    const args = suite.snapshotArgs('--chunk-rows', '1000');
    const first = suite.spawn(args);
    await until(
      'a part of the snapshot to commit',
      async () => ((await suite.progress('uncommitted'))?.rows ?? 0) >= 5_000,
    );
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(1);
    expect(first.output()).toMatch(
      /stopped by a signal after \d+ rows committed \(run .*\); run the same command again to resume it/,
    );
    const stopped = (await suite.progress())!;
    expect(stopped).toMatchObject({ state: 'running', owner: null });
    expect(stopped.rows % 1000).toBe(0);
    // The stopped process let go of the run: it resumes at once, with no heartbeat to outwait.
    const started = Date.now();
    const resumed = await suite.cli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run: stopped.run, rows: 50_000, resumed: true });
    const lane = await suite.readLane();
    expect(lane.filter((e) => e.op === 'snapshot-begin')).toHaveLength(1);
    expect(upserts(lane)).toHaveLength(50_000);
  });

  it('stops at a source row the contract refuses, naming its key, and resumes after the fix', async () => {
    const suite = await snapshotSuite('snap-bad', ORDER_LINES);
    await seedOrderLines(suite.source.pool, suite.source.name);
    await suite.source.pool.query(
      `ALTER TABLE "${suite.source.name}".order_lines ALTER sku TYPE text;
       UPDATE "${suite.source.name}".order_lines SET sku = repeat('x', 40) WHERE order_id = 9000 AND line = 2`,
    );
    const args = suite.snapshotArgs();
    const failed = await suite.cli(args);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'the source row of app.order_lines with key {"order_id":"9000","line":2}',
    );
    expect(failed.stderr).toContain('row.sku is 40 characters long; varchar(32)');
    const stopped = (await suite.progress())!;
    expect(stopped).toMatchObject({ state: 'running', owner: null });
    expect(stopped.rows).toBeLessThan(36_000);

    await suite.source.pool.query(
      `UPDATE "${suite.source.name}".order_lines SET sku = 'fixed' WHERE order_id = 9000 AND line = 2`,
    );
    const resumed = await suite.cli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run: stopped.run, rows: 50_000, resumed: true });
    const lane = await suite.readLane();
    expect(upserts(lane)).toHaveLength(50_000);
    expect(upserts(lane).find((e) => e.row!.order_id === '9000' && e.row!.line === 2)!.row!.sku).toBe(
      'fixed',
    );
  });
});
