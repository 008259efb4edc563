import type { TableContract } from '@app/config';
import type { ObjectStore } from '@app/staging';
import type { Pool, PoolConfig } from 'pg';
import { createResilientPool, withPooledClient } from '../pg-session';
import type { RedshiftCopyCredentials } from '../redshift/redshift-copy';
import { classifyRedshiftError } from '../redshift/redshift-errors';
import type { SnapshotFrom } from './postgres-snapshot-sql';
import { parseUnloadManifest, unloadRows, type UnloadManifest } from './redshift-unload-files';
import { unloadStatement } from './redshift-unload';
import type { SnapshotResume, SnapshotSource, SnapshotSourceRow } from './snapshot-source.port';

export interface RedshiftSnapshotOptions {
  contract: TableContract;
  from: SnapshotFrom;
  /** The Redshift connection (redshiftSettings(env).pool). */
  pool: PoolConfig;
  /** `host:port/database`, for the description. */
  server: string;
  /** The staging bucket UNLOAD writes to and the snapshot reads back from. */
  store: ObjectStore;
  /** The run's own folder in the bucket, ending in `/`: the same for every process of one run. */
  folder: string;
  credentials: RedshiftCopyCredentials;
  region?: string;
  maxFileSizeMb: number;
}

/**
 * A Redshift table or query, UNLOADed once per run into the run's folder of the staging bucket,
 * then read back file by file. The files never change after UNLOAD, so a position in them (file,
 * row) is a place to resume from; a run resumed before its manifest was written UNLOADs again.
 */
export class RedshiftUnloadSource implements SnapshotSource {
  readonly description: Readonly<Record<string, string>>;
  private readonly pool: Pool;
  private manifest?: UnloadManifest;

  constructor(private readonly options: RedshiftSnapshotOptions) {
    const { from, server, store, folder } = options;
    this.description = {
      kind: 'redshift',
      server,
      ...('query' in from ? { query: from.query } : { table: `${from.schema}.${from.table}` }),
      unload: store.uri(folder),
    };
    // Named as the snapshot, not as the sink the settings are made for.
    this.pool = createResilientPool({ ...options.pool, max: 1, application_name: 'tablelane-snapshot' });
  }

  async prepare(): Promise<{ total?: number }> {
    const { store, folder } = this.options;
    const key = `${folder}manifest`;
    let text = await readIfExists(store, key);
    if (text === undefined) {
      const statement = unloadStatement({ ...this.options, to: store.uri(folder) });
      await withPooledClient(this.pool, classifyRedshiftError, async (client) => {
        // UNLOAD prints timestamptz in the session's zone: UTC, as sourceValue reads it.
        await client.query("SET timezone TO 'UTC'");
        await client.query(statement.text);
      });
      text = await readIfExists(store, key);
      if (text === undefined) throw new Error(`UNLOAD finished but wrote no manifest at ${store.uri(key)}`);
    }
    this.manifest = parseUnloadManifest(text, store.uri(key));
    return this.manifest.rows === undefined ? {} : { total: this.manifest.rows };
  }

  rows(resume?: SnapshotResume): AsyncIterable<SnapshotSourceRow> {
    if (!this.manifest) throw new Error('RedshiftUnloadSource.rows before prepare');
    return unloadRows(this.options.store, this.manifest, this.options.contract, resume?.position);
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** The object's text, or undefined when there is none under the key. */
async function readIfExists(store: ObjectStore, key: string): Promise<string | undefined> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(key)) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
    if (name === 'NoSuchKey' || $metadata?.httpStatusCode === 404) return undefined;
    throw error;
  }
}
