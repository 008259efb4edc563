// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  apiKeys,
  createTestTopics,
  readCommitted,
  routerEnv,
  sleep,
  startApp,
  startGateway,
  testKafka,
  writeConfig,
} from './support/harness';
import { parseConfig } from '@app/config';
import { laneOf } from '@app/kafka';
import { createTablelaneClient, type TablelaneClient } from '@app/sdk';
import { describe, expect, it } from 'vitest';

const TABLES = [
  {
    name: 'public.sales',
    columns: { id: 'bigint', qty: 'integer', price: 'numeric(10,2)', updated: 'bigint' },
    primaryKey: ['id'],
    version: 'updated',
  },
  { name: 'public.customers', columns: { id: 'bigint', name: 'text' }, primaryKey: ['id'] },
  { name: 'shop.orders', columns: { id: 'bigint', status: 'text' }, primaryKey: ['id'], lane: 6 },
  {
    name: 'analytics.page_views',
    mode: 'append',
    columns: { url: 'text', at: 'timestamptz', viewer: 'text' },
  },
];
const WRITERS = 32;
const BATCHES = 5;
const BATCH = 10;
const TOTAL = WRITERS * BATCHES * BATCH;

type Event = {
  table: string;
  op: 'upsert';
  row: Record<string, unknown>;
  id: string;
  ts: number;
  version?: number;
};

/** Change `i` of writer `w`: tables round-robin, every event id and row key unique. */
function change(w: number, i: number): Event {
  const table = TABLES[(w + i) % TABLES.length]!.name;
  const id = `w${w}-${i}`;
  const key = w * 1000 + i;
  const ts = Date.now();
  switch (table) {
    case 'public.sales':
      return {
        table,
        op: 'upsert',
        id,
        ts,
        version: i,
        row: { id: String(key), qty: i, price: `${i}.50`, updated: i },
      };
    case 'public.customers':
      return { table, op: 'upsert', id, ts, row: { id: key, name: `customer ${key}` } };
    case 'shop.orders':
      return { table, op: 'upsert', id, ts, row: { id: key, status: i % 2 ? 'paid' : 'open' } };
    default:
      return {
        table,
        op: 'upsert',
        id,
        ts,
        row: { url: `/p/${key}`, at: new Date(ts).toISOString(), viewer: `w${w}` },
      };
  }
}

describe('many concurrent writers to one lane per table', () => {
  it('routes every change of 32 SDK and HTTP writers exactly once onto its table lane, across a router SIGKILL', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'manywriters', { ingest: 4, changes: 8, dlq: 1 });
    const configPath = writeConfig(topics, TABLES);
    const { keys, env: keysEnv } = apiKeys([{ name: 'writers', tables: ['*'] }]);

    let router = startApp('router', routerEnv(configPath, topics));
    const [{ url }] = await Promise.all([
      startGateway(configPath, keysEnv),
      router.waitFor(/router running/),
    ]);

    const clients: TablelaneClient[] = [];
    const writer = async (w: number) => {
      // Writers 0-15 embed the SDK (Avro through the registry, every third one JSON); 16-31
      // post to the gateway (JSON arrays and NDJSON).
      const sdk =
        w < WRITERS / 2
          ? createTablelaneClient({ config: configPath, encoding: w % 3 === 0 ? 'json' : 'avro' })
          : undefined;
      if (sdk) clients.push(sdk);
      for (let b = 0; b < BATCHES; b++) {
        const events = Array.from({ length: BATCH }, (_, k) => change(w, b * BATCH + k));
        if (sdk) {
          expect(await sdk.send(events)).toEqual({ sent: BATCH });
        } else {
          const ndjson = w % 2 === 1;
          const res = await fetch(`${url}/v1/changes`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${keys.writers}`,
              'content-type': ndjson ? 'application/x-ndjson' : 'application/json',
            },
            body: ndjson ? events.map((e) => JSON.stringify(e)).join('\n') : JSON.stringify(events),
          });
          expect(res.status, await res.clone().text()).toBe(202);
        }
        await sleep(700);
      }
    };

    const started = Date.now();
    const writing = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    // SIGKILL the router once it has written about a quarter of the changes, while the
    // writers keep going: its open transactions (one per ingest partition) are cut off.
    const admin = kafka.admin();
    await admin.connect();
    let routedAtKill = 0;
    for (
      const deadline = Date.now() + 60_000;
      routedAtKill < TOTAL / 4 && Date.now() < deadline;
      await sleep(20)
    ) {
      routedAtKill = (await admin.fetchTopicOffsets(topics.changes)).reduce((n, p) => n + Number(p.high), 0);
    }
    expect(routedAtKill, router.output().slice(-3000)).toBeGreaterThanOrEqual(TOTAL / 4);
    router.child.kill('SIGKILL');
    await router.exited;
    router = startApp('router', routerEnv(configPath, topics));

    await writing;
    const wroteMs = Date.now() - started;
    await Promise.all(clients.map((c) => c.close()));
    expect(routedAtKill).toBeLessThan(TOTAL);

    const records = await readCommitted(kafka, topics.changes, TOTAL, { timeoutMs: 60_000 });
    const routedMs = Date.now() - started;

    const config = parseConfig({ tables: TABLES });
    const partitionsByTable = new Map<string, Set<number>>();
    const countById = new Map<string, number>();
    for (const r of records) {
      const event = JSON.parse(r.value!.toString()) as Event;
      expect(r.key).toBe(event.table);
      partitionsByTable.set(event.table, (partitionsByTable.get(event.table) ?? new Set()).add(r.partition));
      countById.set(event.id, (countById.get(event.id) ?? 0) + 1);
    }
    const duplicates = [...countById].filter(([, n]) => n > 1);
    const missing: string[] = [];
    for (let w = 0; w < WRITERS; w++)
      for (let i = 0; i < BATCHES * BATCH; i++) if (!countById.has(`w${w}-${i}`)) missing.push(`w${w}-${i}`);

    console.info(
      `[many-writers] ${TOTAL} changes written in ${wroteMs} ms, all routed after ${routedMs} ms; router SIGKILLed after ${routedAtKill} routed`,
    );
    expect(missing).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(records).toHaveLength(TOTAL);
    for (const table of config.tables) {
      // One lane per table, and the lane the baseline gives it (pinning wins).
      expect([...(partitionsByTable.get(table.name) ?? [])]).toEqual([laneOf(table, 8)]);
    }
    expect((await admin.fetchTopicOffsets(topics.dlq)).reduce((n, p) => n + Number(p.high), 0)).toBe(0);
    await admin.disconnect();
    expect(router.child.exitCode).toBeNull();
  });
});
