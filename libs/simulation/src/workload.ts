/** Deterministic pseudo-random numbers, so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadEvent {
  table: string;
  value: string;
}

export interface Workload {
  tables: object[];
  /** Events per producer, in the order that producer sends them. */
  producers: WorkloadEvent[][];
  /** Expected rows per merge table, keyed by primary key text, as the warehouse returns them. */
  expected: Map<string, Map<string, Record<string, string>>>;
  /** Expected ids per append table (each exactly once). */
  expectedAppends: Map<string, string[]>;
  poison: number;
}

/** The workload's `sales` contract without its name: shaped like the seed's Redshift `sales` table. */
export const SALES_TABLE = {
  columns: {
    salesid: 'bigint',
    listid: 'integer',
    sellerid: 'integer',
    buyerid: 'integer',
    qtysold: 'integer',
    pricepaid: 'numeric(8,2)',
    commission: 'numeric(8,2)',
    saletime: 'timestamptz',
    note: 'text',
    ver: 'bigint',
  },
  primaryKey: ['salesid', 'listid'],
  version: 'ver',
};

/**
 * Random upserts and deletes over four tables, computed with an independent model of what
 * the warehouse must hold afterwards:
 * - `sales` (versioned, keys shared by all producers, versions arrive out of order): per key,
 *   the change with the highest version wins, and a delete wins over older upserts;
 * - `users` (no version column, each key owned by one producer): the producer's last change;
 * - `clicks` and `audit` (append): every event exactly once (a replayed batch shows here);
 * - `orders` (versioned, bigint keys beyond 2^53).
 */
export function generateWorkload(
  schema: string,
  producerCount: number,
  changesPerProducer: number,
  seed: number,
  poisonEvery = 0,
): Workload {
  const random = prng(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const t = (name: string) => `${schema}.${name}`;
  const tables = [
    { name: t('sales'), ...SALES_TABLE },
    { name: t('users'), columns: { id: 'bigint', name: 'text', active: 'boolean' }, primaryKey: ['id'] },
    { name: t('clicks'), mode: 'append', columns: { id: 'text', url: 'text' } },
    {
      name: t('orders'),
      columns: { id: 'bigint', amount: 'numeric(18,4)', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    },
    { name: t('audit'), mode: 'append', columns: { id: 'text', note: 'text' } },
  ];
  const producers: WorkloadEvent[][] = Array.from({ length: producerCount }, () => []);
  const versioned = new Map<string, { version: number; row: Record<string, string> | null }>();
  const versionCounter = new Map<string, number>();
  const users = new Map<string, Record<string, string> | null>();
  const clicks: string[] = [];
  const audit: string[] = [];
  let poison = 0;
  const pendingVersioned: {
    table: string;
    key: string;
    version: number;
    value: object;
    row: Record<string, string> | null;
  }[] = [];

  for (let p = 0; p < producerCount; p++) {
    for (let i = 0; i < changesPerProducer; i++) {
      if (poisonEvery && (p * changesPerProducer + i) % poisonEvery === poisonEvery - 1) {
        poison++;
        producers[p]!.push({
          table: t('users'),
          value: JSON.stringify({
            table: t('users'),
            op: 'upsert',
            row: { id: 1, name: 'x', colour: 'red' },
          }),
        });
        continue;
      }
      const roll = random();
      if (roll < 0.45) {
        const salesid = String(1 + Math.floor(random() * 40));
        const listid = String(1 + Math.floor(random() * 3));
        const key = `${t('sales')}|${salesid}|${listid}`;
        const version = (versionCounter.get(key) ?? 0) + 1;
        versionCounter.set(key, version);
        const remove = random() < 0.25;
        const cents = Math.floor(random() * 999_999);
        const row = {
          salesid,
          listid,
          sellerid: String(Math.floor(random() * 5000)),
          buyerid: String(Math.floor(random() * 50_000)),
          qtysold: String(1 + Math.floor(random() * 8)),
          pricepaid: (cents / 100).toFixed(2),
          commission: (Math.floor(cents * 0.15) / 100).toFixed(2),
          saletime: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3e10)).toISOString(),
          note: pick(['', 'a,b', 'quote"d', 'line\nbreak', 'ünï', 'plain']),
          ver: String(version),
        };
        const value = remove
          ? { table: t('sales'), op: 'delete', key: { salesid, listid }, version }
          : { table: t('sales'), op: 'upsert', row, version };
        pendingVersioned.push({
          table: t('sales'),
          key: `${salesid}|${listid}`,
          version,
          value,
          row: remove ? null : row,
        });
      } else if (roll < 0.6) {
        const id = (2n ** 60n + BigInt(Math.floor(random() * 25))).toString();
        const key = `${t('orders')}|${id}`;
        const version = (versionCounter.get(key) ?? 0) + 1;
        versionCounter.set(key, version);
        const remove = random() < 0.2;
        const row = {
          id,
          amount: `${Math.floor(random() * 1e9)}.${String(Math.floor(random() * 1e4)).padStart(4, '0')}`,
          ver: String(version),
        };
        const value = remove
          ? { table: t('orders'), op: 'delete', key: { id }, version }
          : { table: t('orders'), op: 'upsert', row: { ...row, ver: undefined }, version };
        pendingVersioned.push({ table: t('orders'), key: id, version, value, row: remove ? null : row });
      } else if (roll < 0.85) {
        // Keys owned by producer p: its own order decides.
        const id = String(p * 1000 + Math.floor(random() * 10));
        const remove = random() < 0.3;
        const row = { id, name: `user ${id} v${i}`, active: random() < 0.5 ? 'true' : 'false' };
        users.set(id, remove ? null : row);
        producers[p]!.push({
          table: t('users'),
          value: JSON.stringify(
            remove
              ? { table: t('users'), op: 'delete', key: { id } }
              : { table: t('users'), op: 'upsert', row: { ...row, active: row.active === 'true' } },
          ),
        });
        audit.push(`${p}-${i}`);
        producers[p]!.push({
          table: t('audit'),
          value: JSON.stringify({
            table: t('audit'),
            op: 'upsert',
            row: { id: `${p}-${i}`, note: remove ? 'user deleted' : 'user changed' },
          }),
        });
      } else {
        const id = `${p}-${i}`;
        clicks.push(id);
        producers[p]!.push({
          table: t('clicks'),
          value: JSON.stringify({
            table: t('clicks'),
            op: 'upsert',
            row: { id, url: `https://example.test/${id}` },
          }),
        });
      }
    }
  }
  // Versioned changes go to random producers in random order: versions arrive out of order.
  for (const change of pendingVersioned.sort(() => random() - 0.5)) {
    producers[Math.floor(random() * producerCount)]!.push({
      table: change.table,
      value: JSON.stringify(change.value),
    });
    const modelKey = `${change.table}|${change.key}`;
    const current = versioned.get(modelKey);
    if (!current || change.version > current.version)
      versioned.set(modelKey, { version: change.version, row: change.row });
  }

  const expected = new Map<string, Map<string, Record<string, string>>>([
    [t('sales'), new Map()],
    [t('users'), new Map()],
    [t('orders'), new Map()],
  ]);
  for (const [modelKey, { row }] of versioned) {
    const [table, ...key] = modelKey.split('|');
    if (row) expected.get(table!)!.set(key.join('|'), row);
  }
  for (const [id, row] of users) if (row) expected.get(t('users'))!.set(id, row);
  return {
    tables,
    producers,
    expected,
    expectedAppends: new Map([
      [t('clicks'), clicks],
      [t('audit'), audit],
    ]),
    poison,
  };
}

/** What diffWarehouse reads the warehouse with: a pg Pool or Client, or any SQL session like them. */
export interface WarehouseReader {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of any table, read column by name
  query<R extends Record<string, any> = Record<string, any>>(sql: string): Promise<{ rows: R[] }>;
}

/** Compares the warehouse with the model; returns a list of differences (empty when equal). */
export async function diffWarehouse(pool: WarehouseReader, workload: Workload): Promise<string[]> {
  const problems: string[] = [];
  const keyColumns: Record<string, string[]> = {
    sales: ['salesid', 'listid'],
    users: ['id'],
    orders: ['id'],
  };
  for (const [table, rows] of workload.expected) {
    const [schema, name] = table.split('.') as [string, string];
    const keys = keyColumns[name]!;
    const result = await pool.query(`SELECT * FROM "${schema}"."${name}"`);
    const seen = new Set<string>();
    for (const actual of result.rows) {
      const key = keys.map((k) => String(actual[k])).join('|');
      if (seen.has(key)) problems.push(`${table}: duplicate key ${key}`);
      seen.add(key);
      const want = rows.get(key);
      if (!want) {
        problems.push(`${table}: unexpected row ${key}`);
        continue;
      }
      for (const [column, value] of Object.entries(want)) {
        const got = actual[column] instanceof Date ? actual[column].toISOString() : String(actual[column]);
        if (got !== value)
          problems.push(
            `${table} ${key}.${column}: want ${JSON.stringify(value)} got ${JSON.stringify(actual[column])}`,
          );
      }
    }
    for (const key of rows.keys()) if (!seen.has(key)) problems.push(`${table}: missing row ${key}`);
  }
  for (const [table, ids] of workload.expectedAppends) {
    const [schema, name] = table.split('.') as [string, string];
    const result = await pool.query<{ id: string; n: string }>(
      `SELECT id, count(*) AS n FROM "${schema}"."${name}" GROUP BY id`,
    );
    const counts = new Map(result.rows.map((r) => [r.id, Number(r.n)]));
    for (const id of ids)
      if (counts.get(id) !== 1) problems.push(`${table}: append ${id} present ${counts.get(id) ?? 0} times`);
    if (counts.size !== ids.length)
      problems.push(`${table}: ${counts.size} distinct appends, want ${ids.length}`);
  }
  return problems.slice(0, 50);
}
