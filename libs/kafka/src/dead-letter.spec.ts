import { ChangeRejected, DLQ_HEADERS } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import { matchesFilter, summarise, tableOfBody, toDeadLetter } from './dead-letter';

const headers = (code: string, stage = 'router') => ({
  [DLQ_HEADERS.errorCode]: Buffer.from(code),
  [DLQ_HEADERS.stage]: Buffer.from(stage),
  [DLQ_HEADERS.errorMessage]: Buffer.from(`because ${code}`),
  [DLQ_HEADERS.sourceTopic]: Buffer.from('ingest'),
  [DLQ_HEADERS.sourcePartition]: Buffer.from('3'),
  [DLQ_HEADERS.sourceOffset]: Buffer.from('41'),
});
const noAvro = async (): Promise<Record<string, unknown>> => {
  throw new ChangeRejected([{ code: 'UNKNOWN_SCHEMA', message: 'unknown' }]);
};

describe('dead letters', () => {
  it('reads code, stage, source and the table of a JSON body', async () => {
    const letter = await toDeadLetter(
      {
        partition: 0,
        offset: 7n,
        timestamp: 1000,
        key: null,
        value: Buffer.from('{"table":"public.sales","op":"upsert","row":{"id":1,"new":2}}'),
        headers: headers('UNKNOWN_COLUMN'),
      },
      tableOfBody(noAvro),
    );
    expect(letter).toMatchObject({
      code: 'UNKNOWN_COLUMN',
      stage: 'router',
      table: 'public.sales',
      source: { topic: 'ingest', partition: 3, offset: '41' },
    });
  });

  it('has no table for a body that does not decode, but throws when the registry cannot be asked', async () => {
    const tableOf = tableOfBody(noAvro);
    expect(await tableOf(Buffer.from('{"table": '))).toBeUndefined();
    expect(await tableOf(Buffer.from([0, 0, 0, 0, 1, 2]))).toBeUndefined();
    const down = tableOfBody(async () => {
      throw new Error('registry down');
    });
    await expect(down(Buffer.from([0, 0, 0, 0, 1, 2]))).rejects.toThrow('registry down');
  });

  it('filters by code, table and time, and summarises by code, table and stage', async () => {
    const tableOf = tableOfBody(noAvro);
    const make = (offset: number, code: string, table: string | null, timestamp: number) =>
      toDeadLetter(
        {
          partition: 0,
          offset: BigInt(offset),
          timestamp,
          key: null,
          value: Buffer.from(table ? JSON.stringify({ table }) : 'not json'),
          headers: headers(code),
        },
        tableOf,
      );
    const letters = [
      await make(0, 'UNKNOWN_TABLE', 'public.a', 1000),
      await make(1, 'UNKNOWN_TABLE', 'public.a', 3000),
      await make(2, 'UNKNOWN_COLUMN', 'public.b', 2000),
      await make(3, 'MALFORMED_JSON', null, 4000),
    ];
    expect(
      letters.filter((l) => matchesFilter(l, { codes: ['UNKNOWN_TABLE'] })).map((l) => l.offset),
    ).toEqual([0n, 1n]);
    expect(letters.filter((l) => matchesFilter(l, { tables: ['public.b'] })).map((l) => l.offset)).toEqual([
      2n,
    ]);
    expect(
      letters.filter((l) => matchesFilter(l, { since: 2000, until: 4000 })).map((l) => l.offset),
    ).toEqual([1n, 2n]);
    const groups = summarise(letters.map((l, i) => ({ ...l, replayed: i === 1 })));
    expect(groups.map((g) => [g.code, g.table, g.count, g.replayed])).toEqual([
      ['UNKNOWN_TABLE', 'public.a', 2, 1],
      ['UNKNOWN_COLUMN', 'public.b', 1, 0],
      ['MALFORMED_JSON', '(undecodable)', 1, 0],
    ]);
    expect(groups[0]).toMatchObject({
      first: new Date(1000).toISOString(),
      last: new Date(3000).toISOString(),
    });
  });
});
