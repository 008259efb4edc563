import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readAll, waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';

/**
 * A contract rollout as Kubernetes does it: the ConfigMap (the mounted file) changes while the
 * sink runs, and producers on the newer contract may be first. Changes naming the new column
 * wait for the reload instead of being dead-lettered, then load with it.
 */
describe('contract rollout', () => {
  it('holds changes that name a column the contract does not know yet, reloads the file, adds the column and loads them', async () => {
    const { kafka, pool, schema, state, changes, dlq, group, caughtUp } = await sinkTestSetup('rollout', 1);
    const v1 = { name: `${schema}.accounts`, columns: { id: 'bigint', name: 'text' }, primaryKey: ['id'] };
    const v2 = { ...v1, columns: { ...v1.columns, tier: 'integer' } };
    const settings = { topics: { changes, dlq }, warehouse: { stateSchema: state } };
    const configPath = writeConfig({ ...settings, tables: [v1] });
    const sink = startSink(configPath, {
      TABLELANE_SINK_GROUP: group,
      TABLELANE_CONTRACT_RELOAD_MS: '60000',
      TABLELANE_CONTRACT_HOLD_MS: '120000',
    });

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const send = (rows: object[]) =>
      producer.send({
        topic: changes,
        acks: -1,
        messages: rows.map((row) => ({
          key: v1.name,
          value: JSON.stringify({ table: v1.name, op: 'upsert', row }),
        })),
      });
    await send([{ id: 1, name: 'before' }]);
    await caughtUp(60_000);

    // Producers on v2 come first; the sink still has v1.
    await send(Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, name: `n${i}`, tier: i })));
    await waitFor(
      'the sink to hold the lane',
      async () => sink.output().includes('waits for a contract'),
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await pool.query(`SELECT 1 FROM "${schema}".accounts WHERE id >= 100`)).rowCount).toBe(0);

    // The ConfigMap update reaches the file: the held change asks for a reload and loads.
    writeFileSync(configPath, stringify({ ...settings, tables: [v2] }));
    await caughtUp(30_000);
    await producer.disconnect();

    const rows = await pool.query<{ id: string; tier: number | null }>(
      `SELECT id, tier FROM "${schema}".accounts ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      { id: '1', tier: null },
      ...Array.from({ length: 20 }, (_, i) => ({ id: String(100 + i), tier: i })),
    ]);
    expect(await readAll(kafka, dlq, 1, 2000)).toEqual([]);
    expect(sink.output()).toContain('table contracts reloaded');
  });
});
