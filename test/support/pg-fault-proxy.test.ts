import { Client } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { uniqueName } from './env';
import { advancesCheckpoint, startPgFaultProxy } from './pg-fault-proxy';
import { dropSchemasAfterTest, testConnection, testPool } from './postgres';

async function proxiedClient(port: number): Promise<Client> {
  const client = new Client({ ...testConnection(), port });
  // The dropped connection also surfaces as an 'error' event; the test reads it from the query.
  client.on('error', () => undefined);
  await client.connect();
  onTestFinished(() => client.end().catch(() => undefined));
  return client;
}

describe('PostgreSQL fault proxy', () => {
  it('makes a COMMIT ambiguous: the client sees the connection die, the row is committed', async () => {
    const pool = testPool();
    const schema = uniqueName('proxy');
    dropSchemasAfterTest(schema);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".t (id int PRIMARY KEY)`);
    const proxy = await startPgFaultProxy();
    onTestFinished(() => proxy.close());

    // Unarmed, it is a transparent proxy, for simple and extended (parameterised) queries.
    const client = await proxiedClient(proxy.port);
    await client.query('BEGIN');
    await client.query(`INSERT INTO "${schema}".t VALUES ($1)`, [1]);
    await client.query('COMMIT');

    proxy.dropAfterCommitReply();
    await client.query('BEGIN');
    await client.query(`INSERT INTO "${schema}".t VALUES ($1)`, [2]);
    await expect(client.query('COMMIT')).rejects.toThrow(/Connection terminated/);
    expect(proxy.commitsDropped()).toBe(1);

    const { rows } = await pool.query(`SELECT id FROM "${schema}".t ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);

    // One arming drops one COMMIT: a new connection commits normally again.
    const again = await proxiedClient(proxy.port);
    await again.query('BEGIN');
    await again.query(`INSERT INTO "${schema}".t VALUES (3)`);
    await again.query('COMMIT');
    expect(proxy.commitsDropped()).toBe(1);
    expect(proxy.connections()).toBe(2);
  });

  it('drops only COMMITs of transactions that sent a matching statement', async () => {
    const pool = testPool();
    const schema = uniqueName('proxy');
    dropSchemasAfterTest(schema);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".other (id int)`);
    await pool.query(`CREATE TABLE "${schema}".t__ckpt (last_offset bigint)`);
    await pool.query(`INSERT INTO "${schema}".t__ckpt VALUES (0)`);
    const proxy = await startPgFaultProxy();
    onTestFinished(() => proxy.close());
    proxy.dropAfterCommitReply(1, advancesCheckpoint);

    const client = await proxiedClient(proxy.port);
    await client.query('BEGIN');
    await client.query(`INSERT INTO "${schema}".other VALUES (1)`);
    await client.query('COMMIT');
    expect(proxy.commitsDropped()).toBe(0);

    await client.query('BEGIN');
    await client.query(`UPDATE "${schema}".t__ckpt SET last_offset = $1`, [41]);
    await expect(client.query('COMMIT')).rejects.toThrow(/Connection terminated/);
    expect(proxy.commitsDropped()).toBe(1);
    const { rows } = await pool.query(`SELECT last_offset::int AS o FROM "${schema}".t__ckpt`);
    expect(rows).toEqual([{ o: 41 }]);
  });
});
