// The pipeline support loads the router harness first (read_committed fix before kafkajs).
import { cliPipeline } from './support/pipeline';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka';
import { stackEnv } from '../support/env';
import { testPool } from '../support/postgres';

const PYTHON = '/usr/bin/python3';
const PRODUCER = join(__dirname, 'support/confluent_produce.py');
const hasPythonClient = spawnSync(PYTHON, ['-c', 'import confluent_kafka, avro.io, requests']).status === 0;
const hasKcat = spawnSync('kcat', ['-V']).status === 0;

type Event =
  | { table: string; op: 'upsert'; row: Record<string, unknown>; version: number; id: string }
  | { table: string; op: 'delete'; key: Record<string, unknown>; version: number; id: string };

/** Feeds events as JSON lines to a command's stdin; resolves with its stdout, rejects on a non-zero exit. */
function pipeTo(command: string, args: string[], events: Event[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${out}`)),
    );
    child.stdin.end(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  });
}

describe('producing with non-Node Confluent clients', () => {
  it.skipIf(!hasPythonClient || !hasKcat)(
    'loads Avro from confluent-kafka-python and JSON from it and kcat into topics made by `tablelane topics create`',
    async () => {
      const p = cliPipeline('cli.confluent');
      const table = `${p.schema}.orders`;
      const configPath = p.writeConfig([
        {
          name: table,
          columns: { id: 'bigint', customer: 'text', amount: 'numeric(12,2)', paid: 'boolean', v: 'bigint' },
          primaryKey: ['id'],
          version: 'v',
        },
      ]);

      // Provisioning as a platform team would: topics, then the schema, before any app runs.
      const created = await p.cli(configPath, [
        'topics',
        'create',
        '--ingest-partitions',
        '2',
        '--changes-partitions',
        '4',
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/^created +ingest/m);
      expect(created.stderr).toContain('replication factor 3 capped to 1');
      const again = await p.cli(configPath, [
        'topics',
        'check',
        '--ingest-partitions',
        '2',
        '--changes-partitions',
        '4',
      ]);
      expect(again.code, again.stdout).toBe(0);
      expect(again.stdout).not.toMatch(/created|DRIFT/);
      const schema = await p.cli(configPath, ['schema', '--register']);
      expect(schema.code, schema.stderr).toBe(0);
      expect(JSON.parse(schema.stdout)).toMatchObject({ name: 'ChangeEvent', namespace: 'tablelane' });
      expect(schema.stderr).toMatch(/schema id \d+/);

      const router = p.startRouter(configPath);
      p.startSink(configPath);
      await router.waitFor(/router running/);

      const upsert = (
        id: number | string,
        version: number,
        customer: string,
        amount: string,
        paid: boolean,
      ): Event => ({
        table,
        op: 'upsert',
        row: { id: String(id), customer, amount, paid },
        version,
        id: `e-${id}-${version}`,
      });
      const remove = (id: number, version: number): Event => ({
        table,
        op: 'delete',
        key: { id: String(id) },
        version,
        id: `d-${id}-${version}`,
      });
      const avro: Event[] = [];
      for (let id = 1; id <= 40; id++) avro.push(upsert(id, 1, `avro ${id} "q" ü`, `${id}.25`, id % 2 === 0));
      for (let id = 1; id <= 5; id++) avro.push(remove(id, 2));
      const json: Event[] = [];
      for (let id = 41; id <= 60; id++) json.push(upsert(id, 1, `json ${id}`, `-${id}.50`, true));
      // Newer versions of Avro rows, and 9007199254740993 (beyond 2^53) as a key in text.
      for (let id = 30; id <= 35; id++) json.push(upsert(id, 5, `json update ${id}`, '0.01', false));
      json.push(upsert('9007199254740993', 1, 'big key', '1.00', true));
      const kcat: Event[] = [];
      for (let id = 61; id <= 70; id++) kcat.push(upsert(id, 1, `kcat ${id}`, `${id}.00`, false));
      // Older than what the other clients sent: the highest version must win, whatever arrives last.
      kcat.push(upsert(30, 3, 'stale', '9.99', true), upsert(6, 0, 'stale', '9.99', true));

      const brokers = stackEnv.KAFKA_BROKERS;
      const registry = stackEnv.SCHEMA_REGISTRY_URL;
      const common = ['--brokers', brokers, '--registry', registry, '--topic', p.topics.ingest];
      await pipeTo(PYTHON, [PRODUCER, ...common, '--format', 'avro'], avro);
      await pipeTo(PYTHON, [PRODUCER, ...common, '--format', 'json'], json);
      await pipeTo('kcat', ['-P', '-b', brokers, '-t', p.topics.ingest], kcat);

      // The model: the highest version per key; a delete removes the row.
      const model = new Map<
        string,
        { customer: string; amount: string; paid: boolean; version: number } | null
      >();
      const versions = new Map<string, number>();
      for (const event of [...avro, ...json, ...kcat]) {
        const id = String((event.op === 'upsert' ? event.row : event.key).id);
        if ((versions.get(id) ?? -1) >= event.version) continue;
        versions.set(id, event.version);
        model.set(
          id,
          event.op === 'delete'
            ? null
            : {
                customer: event.row.customer as string,
                amount: event.row.amount as string,
                paid: event.row.paid as boolean,
                version: event.version,
              },
        );
      }
      const expected = [...model.entries()]
        .filter(([, row]) => row !== null)
        .map(([id, row]) => ({
          id,
          customer: row!.customer,
          amount: Number(row!.amount).toFixed(2),
          paid: row!.paid,
          v: String(row!.version),
        }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));

      const pool = testPool();
      const read = async () =>
        (
          await pool
            .query(`SELECT id, customer, amount, paid, v FROM "${p.schema}".orders ORDER BY id`)
            .catch(() => ({
              rows: [],
            }))
        ).rows;
      await waitFor(
        'the warehouse to equal what was sent',
        async () => JSON.stringify(await read()) === JSON.stringify(expected),
        60_000,
        500,
      );
      expect(await read()).toEqual(expected);

      expect(await p.cliJson(configPath, ['dlq', 'ls'])).toEqual([]);
    },
  );
});
