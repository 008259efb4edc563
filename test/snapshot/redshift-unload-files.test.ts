import { parseConfig } from '@app/config';
import { S3ObjectStore } from '@app/staging';
import {
  parseUnloadManifest,
  RedshiftUnloadSource,
  unloadRows,
  type SnapshotPosition,
  type SnapshotSourceRow,
} from '@app/warehouse';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stackEnv, uniqueName } from '../support/env';
import { deleteObject, testS3Client } from '../support/s3';

const [contract] = parseConfig({
  tables: [
    {
      name: 'app.venues',
      columns: {
        id: 'bigint',
        name: 'text',
        city: 'varchar(40)',
        seats: 'integer',
        opened: 'timestamptz',
        attrs: 'json',
        open: 'boolean',
      },
      primaryKey: ['id'],
    },
  ],
}).tables;

const HEADER = 'id,name,city,seats,opened,attrs,open,__tl_nulls';

/**
 * Data files as UNLOAD … FORMAT AS CSV HEADER GZIP PARALLEL ON writes them (one per slice, a
 * header line each, a field quoted only when it holds a comma, a quote, a newline or a carriage
 * return, quotes doubled, NULL an empty field: told from '' by __tl_nulls), and the manifest of
 * MANIFEST VERBOSE, whose record counts include the header lines.
 */
const FILES = [
  [
    HEADER,
    '1,Pinewood Racetrack,Akron,0,2026-01-31 12:00:00+00,"{""capacity"":{""max"":5}}",t,0000000',
    '2,"Columbus ""Crew"" Stadium",Columbus,,2026-01-31 12:00:00.5+00,,f,0001010',
    '3,"Community, Ballpark, Arena","Kansas\nCity",10,,[],t,0000100',
  ],
  // A slice that held no row still writes its header.
  [HEADER],
  [
    HEADER,
    '4,,,5,2026-02-01 00:00:00+00,null,,0100001',
    '5,"",Zürich ☃,6,2026-02-01 00:00:00+00,"""quoted""",t,0000000',
    '6,"carriage\rreturn, and ""all"" of it\n",x,7,2026-02-01 00:00:00+00,{},f,0000000',
  ],
];

interface Folder {
  store: S3ObjectStore;
  folder: string;
  manifestKey: string;
}

/** Writes the files and their manifest under a folder of the local S3 bucket of the test's own. */
async function writeUnload(files: string[][] = FILES, counts?: number[]): Promise<Folder> {
  const s3 = testS3Client();
  const store = new S3ObjectStore(s3, stackEnv.S3_BUCKET);
  const folder = `snapshots-test/${uniqueName('unload')}/`;
  const entries: { url: string; meta: { content_length: number; record_count: number } }[] = [];
  for (const [i, lines] of files.entries()) {
    const key = `${folder}${String(i).padStart(4, '0')}_part_00.gz`;
    const body = gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
    await store.put(key, body);
    entries.push({
      url: store.uri(key),
      meta: { content_length: body.length, record_count: counts?.[i] ?? lines.length },
    });
  }
  const manifestKey = `${folder}manifest`;
  const manifest = {
    entries,
    schema: {
      elements: HEADER.split(',').map((name) => ({ name, type: { base: 'character varying', length: 256 } })),
    },
    meta: {
      content_length: entries.reduce((n, e) => n + e.meta.content_length, 0),
      record_count: entries.reduce((n, e) => n + e.meta.record_count, 0),
    },
    author: { name: 'Amazon Redshift', version: '1.0.0' },
  };
  await store.put(manifestKey, Buffer.from(JSON.stringify(manifest)));
  onTestFinished(async () => {
    for (const uri of [...entries.map((e) => e.url), store.uri(manifestKey)])
      await deleteObject(s3, uri).catch(() => undefined);
  });
  return { store, folder, manifestKey };
}

async function readRows(
  { store, manifestKey }: Folder,
  resume?: SnapshotPosition,
): Promise<SnapshotSourceRow[]> {
  const text = (await streamText(await store.get(manifestKey))).toString();
  const rows: SnapshotSourceRow[] = [];
  for await (const row of unloadRows(
    store,
    parseUnloadManifest(text, store.uri(manifestKey)),
    contract!,
    resume,
  ))
    rows.push(row);
  return rows;
}

async function streamText(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('reading a Redshift UNLOAD from S3', () => {
  it('reads every file of the manifest in order, with quoting, newlines, NULL apart from empty, and positions', async () => {
    const rows = await readRows(await writeUnload());
    expect(rows.map((r) => r.position)).toEqual([
      { file: 0, row: 1 },
      { file: 0, row: 2 },
      { file: 0, row: 3 },
      { file: 2, row: 1 },
      { file: 2, row: 2 },
      { file: 2, row: 3 },
    ]);
    expect(rows.map((r) => r.row)).toEqual([
      {
        id: '1',
        name: 'Pinewood Racetrack',
        city: 'Akron',
        seats: 0,
        opened: '2026-01-31T12:00:00Z',
        attrs: { capacity: { max: 5 } },
        open: true,
      },
      {
        id: '2',
        name: 'Columbus "Crew" Stadium',
        city: 'Columbus',
        seats: null,
        opened: '2026-01-31T12:00:00.5Z',
        attrs: null,
        open: false,
      },
      {
        id: '3',
        name: 'Community, Ballpark, Arena',
        city: 'Kansas\nCity',
        seats: 10,
        opened: null,
        attrs: [],
        open: true,
      },
      { id: '4', name: null, city: '', seats: 5, opened: '2026-02-01T00:00:00Z', attrs: null, open: null },
      {
        id: '5',
        name: '',
        city: 'Zürich ☃',
        seats: 6,
        opened: '2026-02-01T00:00:00Z',
        attrs: 'quoted',
        open: true,
      },
      {
        id: '6',
        name: 'carriage\rreturn, and "all" of it\n',
        city: 'x',
        seats: 7,
        opened: '2026-02-01T00:00:00Z',
        attrs: {},
        open: false,
      },
    ]);
  });

  it('resumes after a position: the rest of that file, then the files after it', async () => {
    const folder = await writeUnload();
    expect((await readRows(folder, { file: 0, row: 2 })).map((r) => r.row.id)).toEqual(['3', '4', '5', '6']);
    expect((await readRows(folder, { file: 0, row: 3 })).map((r) => r.row.id)).toEqual(['4', '5', '6']);
    expect((await readRows(folder, { file: 2, row: 3 })).map((r) => r.row.id)).toEqual([]);
  });

  it('fails on a file cut short of its manifest count, and on a header of other columns', async () => {
    await expect(readRows(await writeUnload(FILES, [4, 1, 5]))).rejects.toThrow(
      /holds 4 records, its manifest entry 5/,
    );
    const renamed = [[HEADER.replace('city', 'town'), ...FILES[0]!.slice(1)]];
    await expect(readRows(await writeUnload(renamed))).rejects.toThrow(/has the columns id, name, town/);
  });

  it('does not UNLOAD again for a run whose manifest exists (a resumed run), and takes the total from it', async () => {
    const { store, folder } = await writeUnload();
    const source = new RedshiftUnloadSource({
      contract: contract!,
      from: { schema: 'app', table: 'venues' },
      // Never connected: the manifest is there, so no statement runs.
      pool: { host: '127.0.0.1', port: 1, database: 'none', user: 'none' },
      server: 'redshift:5439/dev',
      store,
      folder,
      credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/unload' },
      maxFileSizeMb: 256,
    });
    try {
      expect(source.description).toEqual({
        kind: 'redshift',
        server: 'redshift:5439/dev',
        table: 'app.venues',
        unload: `s3://${stackEnv.S3_BUCKET}/${folder}`,
      });
      expect(await source.prepare()).toEqual({ total: 6 });
      const ids: string[] = [];
      for await (const { row } of source.rows({ position: { file: 0, row: 1 } })) ids.push(String(row.id));
      expect(ids).toEqual(['2', '3', '4', '5', '6']);
    } finally {
      await source.close();
    }
  });
});
