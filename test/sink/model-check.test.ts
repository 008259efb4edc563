import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { groupLag, readAll, waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';

const PARTITIONS = 8;

describe('sink model check', () => {
  it('ends with exactly the modelled state: many producers, several tables, two sinks, poison to the DLQ', async () => {
    const { kafka, pool, schema, state, changes, dlq, group } = await sinkTestSetup('mc', PARTITIONS);

    const workload = generateWorkload(schema, 16, 150, 42, 97);
    // A small memory limit makes the sinks pause consumption (backpressure) along the way.
    const config = {
      topics: { changes, dlq },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 300, maxRows: 200 } },
      maxBufferedBytes: 2048,
      tables: workload.tables,
    };
    const configPath = writeConfig(config);
    const tables = parseConfig(config).tables;

    // A backlog first, so every lane's first fetch holds far more than its share of the memory
    // limit and must pause; then two sink replicas share the lanes of one group.
    await produceWorkload(() => kafka.producer({ idempotent: true }), changes, PARTITIONS, workload, tables);
    const sinks = [
      startSink(configPath, { TABLELANE_SINK_GROUP: group }),
      startSink(configPath, { TABLELANE_SINK_GROUP: group }),
    ];

    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        'the sinks to catch up',
        async () => {
          if (sinks.some((s) => s.child.exitCode !== null)) throw new Error('a sink exited');
          return (await groupLag(admin, group, changes)) === 0;
        },
        120_000,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\n${sinks.map((s) => s.output().slice(-3000)).join('\n---\n')}`,
        { cause: error },
      );
    }
    await admin.disconnect();

    expect(await diffWarehouse(pool, workload)).toEqual([]);
    expect(sinks.map((s) => s.output()).join('')).toContain(
      'lane holds its share of the memory limit; pausing its partition',
    );

    const dead = await readAll(kafka, dlq, workload.poison);
    expect(dead).toHaveLength(workload.poison);
    for (const record of dead) {
      expect(record.headers['tablelane.error.code']).toBe('UNKNOWN_COLUMN');
      expect(record.headers['tablelane.error.message']).toContain('colour is not a column');
      expect(record.headers['tablelane.source.topic']).toBe(changes);
      expect(Number(record.headers['tablelane.source.offset'])).toBeGreaterThanOrEqual(0);
    }
  });
});
