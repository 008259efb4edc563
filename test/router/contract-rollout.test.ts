// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import { createTestTopics, readCommitted, routerEnv, sleep, startApp, testKafka } from './support/harness';
import { createTablelaneClient } from '@app/sdk';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { uniqueName } from '../support/env';
import { groupLag, waitFor } from '../support/kafka';
import { dropSchemasAfterTest, testPool } from '../support/postgres';
import { startSink } from '../support/sink-process';

/**
 * A contract rollout as Kubernetes does it, in the worst order: the producers already run the
 * new contract (a new column) while router and sinks still mount the old file, then the
 * ConfigMap update reaches that file. Nothing may be dead-lettered and the column must load.
 */
describe('contract rollout under load', () => {
  it('loses nothing and dead-letters nothing when producers send a new column before router and sinks have it', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'rollout', { ingest: 2, changes: 2, dlq: 1 });
    const schema = uniqueName('rollout');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const v1 = { name: `${schema}.accounts`, columns: { id: 'bigint', name: 'text' }, primaryKey: ['id'] };
    const v2 = { ...v1, columns: { ...v1.columns, tier: 'integer' } };
    const dir = mkdtempSync(join(tmpdir(), 'tablelane-rollout-'));
    const settings = {
      topics: { ingest: topics.ingest, changes: topics.changes, dlq: topics.dlq },
      warehouse: { stateSchema: state },
    };
    const file = (name: string, tables: object[]) => {
      const path = join(dir, name);
      writeFileSync(path, stringify({ ...settings, tables }));
      return path;
    };
    // What router and sinks mount, and the newer contract the producers were deployed with.
    const mounted = file('mounted.yaml', [v1]);
    const producers = file('producers.yaml', [v2]);

    // The production hold bound: long enough for the update to arrive.
    const hold = { TABLELANE_CONTRACT_HOLD_MS: '120000' };
    const router = startApp('router', { ...routerEnv(mounted, topics), ...hold });
    const group = `${topics.base}.sink`;
    const sink = startSink(mounted, { TABLELANE_SINK_GROUP: group, ...hold });
    await router.waitFor(/router running/);

    const sdk = createTablelaneClient({ config: producers, encoding: 'avro' });
    let sent = 0;
    const load = (async () => {
      for (let round = 0; round < 30; round++) {
        const rows = Array.from({ length: 10 }, (_, i) => ({
          id: sent + i,
          name: `n${sent + i}`,
          tier: (sent + i) % 5,
        }));
        await sdk.send(rows.map((row) => ({ table: v1.name, op: 'upsert' as const, row })));
        sent += rows.length;
        await sleep(200);
      }
    })();

    // The rollout reaches the mounted file while the load runs.
    await sleep(3000);
    writeFileSync(mounted, stringify({ ...settings, tables: [v2] }));
    await load;
    await sdk.close();

    const pool = testPool();
    const admin = kafka.admin();
    await admin.connect();
    await waitFor(
      'the sink to catch up',
      async () => (await groupLag(admin, group, topics.changes)) === 0,
      90_000,
    );
    await admin.disconnect();

    const rows = await pool.query<{ id: string; tier: number }>(
      `SELECT id, tier FROM "${schema}".accounts ORDER BY id`,
    );
    expect(rows.rows).toEqual(Array.from({ length: sent }, (_, id) => ({ id: String(id), tier: id % 5 })));
    expect(await readCommitted(kafka, topics.dlq, 0, { timeoutMs: 3000, quietMs: 1000 })).toEqual([]);
    // The router did meet the new column before its file had it, and held instead of refusing.
    expect(router.output()).toContain('CONTRACT_GAP_HELD');
    expect(router.output()).toContain('table contracts reloaded');
    expect(sink.output()).toContain('table contracts reloaded');
  });
});
