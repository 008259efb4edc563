// The pipeline support loads the router harness first (read_committed fix before kafkajs).
import { cliPipeline } from './support/pipeline';
import { readCommitted, testKafka } from '../router/support/harness';
import { replayLedgerTopic, replayTransactionalId } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka';
import { testPool } from '../support/postgres';

describe('tablelane dlq replay', () => {
  it('replays dead letters of a contract gap after the fix, exactly once, even after a replay that crashed', async () => {
    const p = cliPipeline('cli.replay');
    const kept = { name: `${p.schema}.kept`, columns: { id: 'bigint' }, primaryKey: ['id'] };
    // Append mode: every event is a row of its own, so a change loaded twice would show.
    const added = { name: `${p.schema}.added`, columns: { id: 'bigint', note: 'text' }, mode: 'append' };
    const before = p.writeConfig([kept]);
    const fixed = p.writeConfig([kept, added]);

    await p.createTopics(fixed, { ingest: 2, changes: 2 });
    // The sinks got the new table first; the router still has the contract without it.
    p.startSink(fixed);
    let router = p.startRouter(before);
    await router.waitFor(/router running/);

    const kafka = testKafka();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const events = [
      ...[1, 2, 3].map((id) => ({ table: kept.name, op: 'upsert', row: { id } })),
      ...[1, 2, 3, 4, 5, 6].map((id) => ({
        table: added.name,
        op: 'upsert',
        row: { id, note: `note ${id}` },
      })),
    ];
    await producer.send({
      topic: p.topics.ingest,
      acks: -1,
      messages: events.map((e, i) => ({ value: JSON.stringify(e), partition: i % 2 })),
    });
    await producer.disconnect();
    const dead = await readCommitted(kafka, p.topics.dlq, 6, { quietMs: 1000 });
    expect(dead).toHaveLength(6);

    const listed = await p.cliJson(fixed, ['dlq', 'ls']);
    expect(listed).toMatchObject([
      { code: 'UNKNOWN_TABLE', table: added.name, stage: 'router', count: 6, replayed: 0 },
    ]);

    // Without --yes nothing is written.
    const dry = await p.cliJson<{ replayed: unknown[] }>(fixed, ['dlq', 'replay', '--code', 'UNKNOWN_TABLE']);
    expect(dry).toMatchObject({ dryRun: true, matched: 6, alreadyReplayed: 0 });
    expect(dry.replayed).toHaveLength(6);

    // A replay that crashed mid-way: its records and ledger entries were sent in its
    // transaction, which never committed. They must never be routed, and must not count as replayed.
    const crashed = kafka.producer({
      transactionalId: replayTransactionalId(p.topics.dlq),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await crashed.connect();
    const ledger = replayLedgerTopic(p.topics.dlq);
    const open = await crashed.transaction();
    await open.send({
      topic: p.topics.ingest,
      messages: dead.map((d) => ({ value: d.value, partition: 0 })),
    });
    await open.send({
      topic: ledger,
      messages: dead.map((d) => ({
        key: `${p.topics.dlq}:${d.partition}:${d.offset}`,
        value: '{}',
        partition: 0,
      })),
    });

    // The fix: the router restarts with the new contract.
    router.child.kill('SIGTERM');
    await router.exited;
    router = p.startRouter(fixed);
    await router.waitFor(/router running/);

    const first = await p.cliJson(fixed, ['dlq', 'replay', '--table', added.name, '--yes']);
    expect(first).toMatchObject({
      dryRun: false,
      matched: 6,
      alreadyReplayed: 0,
      transactions: 1,
    });
    const second = await p.cliJson(fixed, ['dlq', 'replay', '--table', added.name, '--yes']);
    expect(second).toMatchObject({ matched: 6, alreadyReplayed: 6, replayed: [] });
    await expect(open.commit()).rejects.toThrow();
    await crashed.disconnect().catch(() => undefined);

    const pool = testPool();
    const rows = async () =>
      (await pool.query(`SELECT id, note FROM "${p.schema}".added ORDER BY id`).catch(() => ({ rows: [] })))
        .rows;
    const expected = [1, 2, 3, 4, 5, 6].map((id) => ({ id: String(id), note: `note ${id}` }));
    await waitFor('the replayed changes to load', async () => (await rows()).length >= 6, 60_000, 500);
    // Once more after the sink had time to load anything extra.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await rows()).toEqual(expected);
    const keptRows = await pool.query(`SELECT id FROM "${p.schema}".kept ORDER BY id`);
    expect(keptRows.rows.map((r) => r.id)).toEqual(['1', '2', '3']);
    // Nothing was refused again, and ls shows them as replayed.
    expect(await readCommitted(kafka, p.topics.dlq, 6, { quietMs: 500 })).toHaveLength(6);
    const after = await p.cliJson(fixed, ['dlq', 'ls']);
    expect(after).toMatchObject([{ code: 'UNKNOWN_TABLE', count: 6, replayed: 6 }]);
  });
});
