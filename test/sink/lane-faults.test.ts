import type { Kafka } from 'kafkajs';
import type { Pool, PoolClient } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '@app/config';
import { PostgresDestination } from '@app/warehouse';
import { readAll, waitFor } from '../support/kafka';
import { advancesCheckpoint, startPgFaultProxy } from '../support/pg-fault-proxy';
import { testConnection } from '../support/postgres';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig, type SinkProcess } from '../support/sink-process';

/**
 * Faults of one lane that production meets every week, each through real sink processes: an
 * append table (a batch applied twice shows as duplicates) and a versioned merge table share
 * lane 0, so what happens to one table must never cost the other a change or a duplicate.
 */

const ACCOUNTS = 20;

function laneTables(schema: string) {
  return [
    {
      name: `${schema}.events`,
      mode: 'append',
      columns: { id: 'bigint', amount: 'numeric(12,2)', note: 'text' },
      lane: 0,
    },
    {
      name: `${schema}.accounts`,
      columns: { id: 'bigint', v: 'bigint', balance: 'numeric(12,2)' },
      primaryKey: ['id'],
      version: 'v',
      lane: 0,
    },
  ];
}

/** Produces `count` events for each table, ids from `first`; `amountOf` lets one be refused. */
async function produce(
  kafka: Kafka,
  topic: string,
  schema: string,
  first: number,
  count: number,
  amountOf: (id: number) => string = (id) => `${id}.50`,
  only?: 'events' | 'accounts',
): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const messages = [];
  for (let id = first; id < first + count; id++) {
    if (only !== 'accounts')
      messages.push({
        table: `${schema}.events`,
        op: 'upsert',
        row: { id, amount: amountOf(id), note: `e${id}` },
        ts: Date.now(),
      });
    if (only !== 'events')
      messages.push({
        table: `${schema}.accounts`,
        op: 'upsert',
        row: { id: id % ACCOUNTS, v: id, balance: `${id}.25` },
        ts: Date.now(),
      });
  }
  await producer.send({
    topic,
    acks: -1,
    messages: messages.map((m) => ({ key: m.table, value: JSON.stringify(m), partition: 0 })),
  });
  await producer.disconnect();
}

/** Every event id in `expected` exactly once, nothing else; accounts at their highest version. */
async function expectExact(pool: Pool, schema: string, expected: number[], accountIds: number[]) {
  const events = await pool.query<{ id: string; n: string }>(
    `SELECT id, count(*) AS n FROM "${schema}".events GROUP BY id ORDER BY id`,
  );
  expect(events.rows.filter((r) => r.n !== '1')).toEqual([]);
  expect(events.rows.map((r) => Number(r.id))).toEqual([...expected].sort((a, b) => a - b));
  const model = new Map<number, number>();
  for (const id of accountIds) model.set(id % ACCOUNTS, Math.max(model.get(id % ACCOUNTS) ?? -1, id));
  const accounts = await pool.query<{ id: string; v: string; balance: string }>(
    `SELECT id, v, balance FROM "${schema}".accounts ORDER BY id`,
  );
  expect(accounts.rows).toEqual(
    [...model.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, v]) => ({ id: String(id), v: String(v), balance: `${v}.25` })),
  );
}

async function prepareTables(state: string, schema: string) {
  const destination = new PostgresDestination({
    pool: testConnection(),
    stateSchema: state,
    createTables: true,
    lockTimeoutMs: 1000,
  });
  for (const contract of parseConfig({ tables: laneTables(schema) }).tables)
    await destination.prepareTable(contract);
  await destination.close();
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const noStoppedLane = (sink: SinkProcess) => expect(sink.output()).not.toMatch(/stopped: |lane fenced/);

describe('lane faults', () => {
  it('dead-letters the one value the warehouse refuses, with its SQLSTATE, and loads every other change once', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup('refused', 1);
    await prepareTables(state, schema);
    // A rule the contract does not know: the warehouse refuses a negative amount (23514).
    await pool.query(`ALTER TABLE "${schema}".events ADD CONSTRAINT no_negative CHECK (amount >= 0)`);
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state },
      tables: laneTables(schema),
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group });

    await produce(kafka, changes, schema, 0, 500, (id) => (id === 217 ? '-1.00' : `${id}.50`));
    await caughtUp(60_000);

    const [letter] = await readAll(kafka, dlq, 1);
    expect(letter!.headers['tablelane.error.code']).toBe('23514');
    expect(letter!.headers['tablelane.stage']).toBe('warehouse');
    expect(letter!.headers['tablelane.error.message']).toContain('no_negative');
    expect(JSON.parse(letter!.value!)).toMatchObject({ row: { id: 217, amount: '-1.00' } });
    await expectExact(
      pool,
      schema,
      range(0, 500).filter((id) => id !== 217),
      range(0, 500),
    );

    // The lane goes on loading afterwards.
    await produce(kafka, changes, schema, 500, 50);
    await caughtUp(30_000);
    await expectExact(
      pool,
      schema,
      range(0, 550).filter((id) => id !== 217),
      range(0, 550),
    );
    noStoppedLane(sink);
  });

  it('takes a COMMIT whose reply was lost (the server committed) as committed: no fencing, no pause, nothing twice', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup('ambiguous', 1);
    const proxy = await startPgFaultProxy();
    onTestFinished(() => proxy.close());
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 200 } },
      tables: laneTables(schema),
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group, PGPORT: String(proxy.port) });
    await produce(kafka, changes, schema, 0, 100);
    await caughtUp(60_000);

    proxy.dropAfterCommitReply(4, advancesCheckpoint);
    for (let round = 1; round <= 8; round++) {
      await produce(kafka, changes, schema, round * 100, 100);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await caughtUp(60_000);
    expect(proxy.commitsDropped()).toBeGreaterThanOrEqual(2);
    await expectExact(pool, schema, range(0, 900), range(0, 900));
    noStoppedLane(sink);
  });

  it('keeps exactly-once when the sink keeps its partition through a rebalance while a flush is in flight', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup('rebalance', 1);
    await prepareTables(state, schema);
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state, lockTimeoutMs: 500 },
      defaults: { flush: { maxAgeMs: 200 } },
      tables: laneTables(schema),
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group });
    await produce(kafka, changes, schema, 0, 100);
    await caughtUp(60_000);

    // An analyst's lock holds the next flush of events in flight (waiting, retrying)...
    const analyst: PoolClient = await pool.connect();
    onTestFinished(() => analyst.release());
    await analyst.query('BEGIN');
    await analyst.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);
    await produce(kafka, changes, schema, 100, 100);
    await waitFor(
      'the flush to wait for the lock',
      async () => sink.output().includes('loader blocked'),
      30_000,
    );
    // ...while a member joins the group and leaves again: the sink loses the partition and gets
    // it back in a newer generation, with the old generation's flush still running.
    const generations = () =>
      sink.output().split('loader blocked')[1]!.split('dropped for a new group generation').length - 1;
    const passer = kafka.consumer({ groupId: group, sessionTimeout: 6000 });
    await passer.connect();
    await passer.subscribe({ topics: [changes] });
    await passer.run({ autoCommit: false, eachBatch: async () => undefined });
    await waitFor('the join to rebalance the group', async () => generations() >= 1, 30_000);
    await passer.disconnect();
    await waitFor('the partition to come back', async () => generations() >= 2, 30_000);

    await produce(kafka, changes, schema, 200, 100);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await analyst.query('ROLLBACK');
    await caughtUp(60_000);
    await expectExact(pool, schema, range(0, 300), range(0, 300));
    noStoppedLane(sink);
  });

  it('a frozen sink that claims a new table after its lane moved cannot stop the live owner', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup(
      'zombieclaim',
      1,
    );
    await prepareTables(state, schema);
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 200 } },
      tables: laneTables(schema),
    };
    const configPath = writeConfig(config);
    const env = { TABLELANE_SINK_GROUP: group, TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000' };

    // The zombie owns the lane with one table, then freezes when it meets the second one:
    // after asking the group whether it still owns the lane, before claiming the table.
    const zombie = startSink(configPath, { ...env, TABLELANE_FAULTS: 'before-claim=stop' });
    await produce(kafka, changes, schema, 0, 50, undefined, 'accounts');
    await caughtUp(60_000);
    await produce(kafka, changes, schema, 50, 50, undefined, 'events');
    await waitFor(
      'the zombie to freeze',
      async () => zombie.output().includes('before-claim hit, SIGSTOP'),
      30_000,
    );

    // The group moves the lane to the live owner once the zombie's session expires.
    const owner = startSink(configPath, env);
    await caughtUp(90_000);

    // The zombie wakes up and claims the table at once. The live owner keeps flushing it
    // (changes every 100 ms) and meets the zombie's epoch before the zombie's rejoin
    // rebalances the group: it must claim the table back and go on, never stop the lane.
    zombie.child.kill('SIGCONT');
    for (let round = 0; round < 40; round++) {
      await produce(kafka, changes, schema, 100 + round * 5, 5);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await caughtUp(60_000);
    await expectExact(pool, schema, range(50, 300), [...range(0, 50), ...range(100, 300)]);
    noStoppedLane(owner);
  });

  it('an analyst lock on one table does not hold up its lane-mates (each loads within 2 s)', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup('lanemates', 1);
    await prepareTables(state, schema);
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state, lockTimeoutMs: 500 },
      tables: laneTables(schema),
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group });
    await produce(kafka, changes, schema, 0, 20);
    await caughtUp(60_000);

    const analyst: PoolClient = await pool.connect();
    onTestFinished(() => analyst.release());
    await analyst.query('BEGIN');
    await analyst.query(`LOCK TABLE "${schema}".events IN ACCESS EXCLUSIVE MODE`);

    const latencies: number[] = [];
    for (let probe = 0; probe < 5; probe++) {
      const id = 1000 + probe;
      const sent = Date.now();
      await produce(kafka, changes, schema, id, 1);
      await waitFor(
        `accounts change ${id} to land while events is locked`,
        async () =>
          (await pool.query(`SELECT 1 FROM "${schema}".accounts WHERE v = $1`, [id])).rowCount === 1,
        10_000,
        50,
      );
      latencies.push(Date.now() - sent);
    }
    console.log(`lane-mate latency while a table is locked: ${latencies.join(', ')} ms`);
    expect(Math.max(...latencies)).toBeLessThan(2000);
    // Read through the analyst's own session: anyone else would queue behind its lock.
    expect((await analyst.query(`SELECT 1 FROM "${schema}".events WHERE id >= 1000`)).rowCount).toBe(0);

    await analyst.query('ROLLBACK');
    await caughtUp(30_000);
    const ids = [...range(0, 20), ...range(1000, 1005)];
    await expectExact(pool, schema, ids, ids);
    noStoppedLane(sink);
  });
});
