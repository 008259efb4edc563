import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reduceBatch } from '@app/sink/lane/reduce-batch';
import { parseConfig, type TableContract } from '@app/config';
import { validateChange, type WarehouseValueRules } from '@app/contracts';
import {
  CopyFromStdinLoader,
  encodeCsv,
  encodeRedshiftStagedFile,
  PostgresDestination,
  postgresValueRules,
  RedshiftDestination,
  redshiftValueRules,
  type Destination,
  type StagedRow,
} from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testConnection, testPool } from '../support/postgres';

/**
 * Differential merge test: random histories of upserts and deletes per key, spelled in every
 * form a producer may use, split at random into batches, go through reduceBatch and the real
 * destination; the table must then equal what an oracle computes from the same history.
 *
 * The oracle never sees a spelling: every key and version is generated as a BigInt first
 * (cents, microseconds, a rank) and only then written out in one of its spellings, so the
 * oracle orders and groups by those BigInts and shares no code with compareVersions or the
 * key canonicalisation under test. The final check reads the table back through SQL equality
 * with the winner's original spellings, so the warehouse itself says that what was sent is
 * what is stored.
 */

const TOPIC = 'changes';
const KEYS = 4;
const RANKS = 6;

interface Subject {
  name: string;
  rules: WarehouseValueRules;
  create(state: string): Destination;
  encode(rows: StagedRow[]): Buffer;
}

const redshiftOnPostgres = (state: string, mergeStrategy: 'delete-insert' | 'merge') =>
  new RedshiftDestination({
    pool: { ...testConnection(), max: 2 },
    stateSchema: state,
    createTables: true,
    lockTimeoutMs: 10_000,
    loadTimeoutMs: 60_000,
    lockTables: mergeStrategy === 'delete-insert',
    loader: new CopyFromStdinLoader(),
    dialect: { compatibility: 'postgres', mergeStrategy },
  });

const SUBJECTS: Subject[] = [
  {
    name: 'PostgreSQL',
    rules: postgresValueRules,
    create: (state) =>
      new PostgresDestination({
        pool: { ...testConnection(), max: 2 },
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 10_000,
      }),
    encode: encodeCsv,
  },
  {
    name: 'Redshift dialect on PostgreSQL, delete-then-insert',
    rules: redshiftValueRules,
    create: (state) => redshiftOnPostgres(state, 'delete-insert'),
    encode: encodeRedshiftStagedFile,
  },
  {
    name: 'Redshift dialect on PostgreSQL, MERGE',
    rules: redshiftValueRules,
    create: (state) => redshiftOnPostgres(state, 'merge'),
    encode: encodeRedshiftStagedFile,
  },
];

/** A version type: how a rank becomes a true value, and the ways that value may be written. */
interface VersionKind {
  declared: string;
  /** The true value of a rank; ranks order exactly as their values. */
  value(rank: number): bigint;
  spell(value: bigint, form: number): string;
}

const BIG = 2n ** 62n;
// Versions start a second before midnight, so ranks cross a second, day and month boundary.
const TIME_BASE = BigInt(Date.UTC(2026, 1, 28, 23, 59, 59)) * 1000n;
// Keys fall on whole minutes, so `12:00` and `12:00:00.000` both spell them.
const KEY_BASE = BigInt(Date.UTC(2026, 1, 28, 12, 0, 0)) * 1000n;

const VERSION_KINDS: VersionKind[] = [
  {
    declared: 'bigint',
    value: (rank) => BIG + BigInt(rank),
    spell: (v, form) => [`${v}`, `+${v}`, `00${v}`][form % 3]!,
  },
  {
    // Steps of 0.25 above 2^62: beyond 2^53 in the integer part, exact in the fraction.
    declared: 'numeric(38,6)',
    value: (rank) => BIG * 1_000_000n + BigInt(rank) * 250_000n,
    spell: (v, form) => spellDecimal(v, 6, form),
  },
  {
    // Steps of 300 ms: .300, .600 and .900 share one second, the next ranks cross into the next
    // second, day and month.
    declared: 'timestamp',
    value: (rank) => TIME_BASE + BigInt(rank) * 300_000n,
    spell: (v, form) => spellLocal(v, form),
  },
  {
    declared: 'timestamptz',
    value: (rank) => TIME_BASE + BigInt(rank) * 300_000n,
    spell: (v, form) => spellZoned(v, form),
  },
];

/** The true key of identity `k`: numeric cents, local microseconds, UTC microseconds. */
const keyOf = (k: number) => ({
  cents: BigInt(k) * 150n,
  local: KEY_BASE + BigInt(k) * 3_600_000_000n,
  instant: KEY_BASE + BigInt(k) * 60_000_000n,
});

/** `scaled` × 10^-scale, written plainly, without trailing zeros, in exponent form or signed. */
function spellDecimal(scaled: bigint, scale: number, form: number): string {
  const digits = scaled.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, -scale);
  const fraction = digits.slice(-scale);
  const trimmed = fraction.replace(/0+$/, '');
  switch (form % 5) {
    case 0:
      return `${whole}.${fraction}`;
    case 1:
      return trimmed ? `${whole}.${trimmed}` : whole;
    case 2:
      return `${scaled}e-${scale}`;
    case 3:
      return `+0${whole}.${fraction}0`;
    default:
      return `${whole}${fraction.slice(0, 1)}.${fraction.slice(1)}e-1`;
  }
}

/** Date and time of `micros` since the epoch: `T` or space, seconds and fraction in every length. */
function spellLocal(micros: bigint, form: number): string {
  const fraction = micros % 1_000_000n;
  const iso = new Date(Number((micros - fraction) / 1000n)).toISOString();
  const separator = form % 2 === 0 ? 'T' : ' ';
  const clock = iso.slice(11, 19);
  const six = fraction.toString().padStart(6, '0');
  const shortest = six.replace(/0+$/, '');
  const variants = [
    `${clock}.${six}`,
    shortest ? `${clock}.${shortest}` : clock,
    `${clock}.${(shortest || '0').padEnd(Math.min(6, shortest.length + 1), '0')}`,
    fraction === 0n && clock.endsWith(':00') ? clock.slice(0, 5) : `${clock}.${six}`,
  ];
  return `${iso.slice(0, 10)}${separator}${variants[Math.floor(form / 2) % variants.length]}`;
}

const OFFSETS: [string, number][] = [
  ['Z', 0],
  ['z', 0],
  ['+00:00', 0],
  ['+05', 300],
  ['+05:30', 330],
  ['+0530', 330],
  ['-08:00', -480],
  ['-0330', -210],
  ['+14', 840],
  ['-11', -660],
];

/** The instant `micros` written in the local time of one of the offset forms. */
function spellZoned(micros: bigint, form: number): string {
  const [suffix, minutes] = OFFSETS[form % OFFSETS.length]!;
  return `${spellLocal(micros + BigInt(minutes) * 60_000_000n, Math.floor(form / OFFSETS.length))}${suffix}`;
}

interface Event {
  op: 'upsert' | 'delete';
  key: number;
  rank: number;
  /** Which spelling of each key column and of the version. */
  forms: [number, number, number, number];
  text: string;
}

const eventArb: fc.Arbitrary<Event> = fc.record({
  op: fc.constantFrom<'upsert' | 'delete'>('upsert', 'upsert', 'delete'),
  key: fc.nat({ max: KEYS - 1 }),
  rank: fc.nat({ max: RANKS - 1 }),
  forms: fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
  text: fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !s.includes('\u0000')),
});

const historyArb = fc.record({
  events: fc.array(eventArb, { minLength: 1, maxLength: 24 }),
  cuts: fc.array(fc.nat({ max: 23 }), { maxLength: 4 }),
});

/** The event as a producer would send it: every value in its chosen spelling. */
function rawEvent(table: string, kind: VersionKind, event: Event, index: number) {
  const key = keyOf(event.key);
  const keyValues = {
    kn: spellDecimal(key.cents, 2, event.forms[0]),
    kt: spellLocal(key.local, event.forms[1]),
    kz: spellZoned(key.instant, event.forms[2]),
  };
  const version = kind.spell(kind.value(event.rank), event.forms[3]);
  return event.op === 'upsert'
    ? { table, op: 'upsert', row: { ...keyValues, val: `${index}:${event.text}` }, version }
    : { table, op: 'delete', key: keyValues, version };
}

/**
 * What the table must hold: per key, the last change in lane order among those with the
 * highest version (the later change wins a tie, in a batch and across batches), unless it is
 * a delete. Grouped by key identity and ordered by rank, never by a spelling.
 */
function expectedWinners(events: Event[]): number[] {
  const best = new Map<number, number>();
  events.forEach((event, index) => {
    const current = best.get(event.key);
    if (current === undefined || event.rank >= events[current]!.rank) best.set(event.key, index);
  });
  return [...best.values()].filter((index) => events[index]!.op === 'upsert');
}

/** Lane order split into consecutive non-empty batches at the given cut points. */
function splitIntoBatches<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => (c % items.length) + 1))].filter((p) => p < items.length);
  points.sort((a, b) => a - b);
  const batches: T[][] = [];
  let start = 0;
  for (const point of [...points, items.length]) {
    batches.push(items.slice(start, point));
    start = point;
  }
  return batches;
}

describe('differential merge: reduceBatch and the real destination against an independent oracle', () => {
  for (const subject of SUBJECTS) {
    for (const kind of VERSION_KINDS) {
      it(`${subject.name}, ${kind.declared} versions`, async () => {
        const schema = uniqueName('mdiff');
        const state = uniqueName('tl');
        dropSchemasAfterTest(schema, state);
        const pool = testPool();
        const destination = subject.create(state);
        onTestFinished(() => destination.close());
        let run = 0;

        await fc.assert(
          fc.asyncProperty(historyArb, async ({ events, cuts }) => {
            const name = `${schema}.t${run++}`;
            const config = parseConfig({
              tables: [
                {
                  name,
                  columns: {
                    kn: 'numeric(12,2)',
                    kt: 'timestamp',
                    kz: 'timestamptz',
                    val: 'text',
                    ver: kind.declared,
                  },
                  primaryKey: ['kn', 'kt', 'kz'],
                  version: 'ver',
                },
              ],
            });
            const contract = config.tables[0] as TableContract;
            const raws = events.map((event, index) => rawEvent(name, kind, event, index));
            const buffered = raws.map((raw, offset) => ({
              offset,
              change: validateChange(config, raw, subject.rules),
              bytes: 1,
              receivedAt: 0,
              raw: { key: null, value: null },
            }));

            await destination.prepareTable(contract);
            let claim = await destination.claimLane(contract, TOPIC, 0, 'differential');
            for (const batch of splitIntoBatches(buffered, cuts)) {
              const rows = reduceBatch(contract, batch);
              const body = subject.encode(rows);
              const nextOffset = batch[batch.length - 1]!.offset;
              await destination.applyBatch({
                contract,
                topic: TOPIC,
                partition: 0,
                claim,
                nextOffset,
                rowCount: rows.length,
                openStagedData: async () => Readable.from([body]),
              });
              claim = { ...claim, lastOffset: nextOffset };
            }

            const table = `"${schema}"."t${run - 1}"`;
            const winners = expectedWinners(events);
            const { rows: counts } = await pool.query(
              `SELECT count(*)::int AS n, count(DISTINCT (kn, kt, kz))::int AS keys FROM ${table}`,
            );
            expect(counts[0]).toEqual({ n: winners.length, keys: winners.length });
            for (const index of winners) {
              const raw = raws[index] as { row: Record<string, string>; version: string };
              const { rows: found } = await pool.query(
                `SELECT count(*)::int AS n FROM ${table} WHERE kn = $1 AND kt = $2 AND kz = $3 AND val = $4 AND ver = $5`,
                [raw.row.kn, raw.row.kt, raw.row.kz, raw.row.val, raw.version],
              );
              expect(found[0], `winner ${JSON.stringify(raw)} stored as sent`).toEqual({ n: 1 });
            }
            expect((await destination.readCheckpoints(contract))[0]).toMatchObject({
              lastOffset: events.length - 1,
            });
          }),
          { numRuns: 40 },
        );
      });
    }
  }
});
