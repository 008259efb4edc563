import type { TableContract } from '@app/config';
import { Client, type ClientConfig } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { classifyPostgresError } from '../postgres/postgres-errors';
import { qualify } from '../quote';
import { copyTextRows } from './copy-text';
import {
  copyToStdout,
  countRows,
  ESTIMATED_ROWS,
  snapshotChunkSelect,
  SOURCE_SESSION_SETTINGS,
  type SnapshotFrom,
} from './postgres-snapshot-sql';
import type { SnapshotResume, SnapshotSource, SnapshotSourceRow } from './snapshot-source.port';
import { sourceValue, SnapshotSourceUnreadable } from './source-value';

export interface PostgresSnapshotOptions {
  contract: TableContract;
  from: SnapshotFrom;
  /** pg's connection options (the URL without its TLS parameters, and `ssl`: pgTlsConnection). */
  connection: ClientConfig;
  /** `host:port/database`, for the description (the URL itself may hold a password). */
  server: string;
  /** Rows one COPY reads; the next COPY continues after the last key it returned. */
  rowsPerQuery: number;
}

/**
 * A PostgreSQL (or Aurora) table or query, read in primary-key order by successive
 * `COPY (SELECT … WHERE key > last ORDER BY key LIMIT n) TO STDOUT`: each statement is short (no
 * snapshot of the source is held for hours), any key is a place to resume from, and the stream's
 * backpressure holds the rows not yet taken in the server, so memory stays bounded.
 */
export class PostgresCopySource implements SnapshotSource {
  readonly description: Readonly<Record<string, string>>;
  private readonly client: Client;
  private connected?: Promise<void>;

  constructor(private readonly options: PostgresSnapshotOptions) {
    const { from, server } = options;
    this.description =
      'query' in from
        ? { kind: 'postgres', server, query: from.query }
        : { kind: 'postgres', server, table: `${from.schema}.${from.table}` };
    this.client = new Client({ application_name: 'tablelane-snapshot', ...options.connection });
    // A killed connection errors the query in progress (and is reported there); unheard, the
    // event would end the process.
    this.client.on('error', () => undefined);
  }

  async prepare(): Promise<{ total?: number }> {
    await this.connect();
    const { contract, from } = this.options;
    // The first chunk's SELECT as a prepared statement: PostgreSQL refuses more than one
    // statement there, so a --query can only ever be read, and a missing column fails now.
    await this.query({
      name: 'tablelane-snapshot-check',
      text: snapshotChunkSelect(contract, from, undefined, 0),
    });
    if ('query' in from) return {};
    const planned = await this.query(ESTIMATED_ROWS, [qualify(from.schema, from.table)]);
    const estimate = Number(planned.rows[0]?.rows ?? -1);
    if (estimate > 0) return { total: estimate };
    // Never analysed: the planner cannot tell, so count.
    return { total: Number((await this.query(countRows(from))).rows[0].rows) };
  }

  async *rows(resume?: SnapshotResume): AsyncGenerator<SnapshotSourceRow> {
    await this.connect();
    const { contract, from, rowsPerQuery } = this.options;
    const keyAt = contract.primaryKey.map((name) => contract.columns.findIndex((c) => c.name === name));
    let after = resume?.lastKey && contract.primaryKey.map((name) => keyText(resume.lastKey![name], name));
    for (;;) {
      const copy = this.client.query(
        copyTo(copyToStdout(snapshotChunkSelect(contract, from, after, rowsPerQuery))),
      );
      let read = 0;
      let last: (string | null)[] | undefined;
      try {
        for await (const fields of copyTextRows(copy)) {
          read++;
          last = fields;
          yield { row: this.rowOf(fields) };
        }
      } catch (error) {
        throw error instanceof SnapshotSourceUnreadable ? error : classifyPostgresError(error, false);
      }
      if (read < rowsPerQuery) return;
      after = keyAt.map((at, i) => keyText(last![at]!, contract.primaryKey[i]!));
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  private rowOf(fields: (string | null)[]): Record<string, unknown> {
    const { columns } = this.options.contract;
    if (fields.length !== columns.length)
      throw new SnapshotSourceUnreadable(
        `COPY returned ${fields.length} columns, the contract has ${columns.length}`,
      );
    const row: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const text = fields[i]!;
      row[column.name] = text === null ? null : sourceValue(column.type, text, column.name);
    });
    return row;
  }

  private connect(): Promise<void> {
    this.connected ??= (async () => {
      try {
        await this.client.connect();
        for (const setting of SOURCE_SESSION_SETTINGS) await this.client.query(setting);
      } catch (error) {
        throw classifyPostgresError(error, !(error as { code?: unknown }).code);
      }
    })();
    return this.connected;
  }

  private async query(text: string | { name: string; text: string }, values?: unknown[]) {
    try {
      return await this.client.query(typeof text === 'string' ? { text, values } : text);
    } catch (error) {
      throw classifyPostgresError(error, false);
    }
  }
}

/** A primary key is never NULL, so a resumable key has text in every column. */
function keyText(value: string | null | undefined, column: string): string {
  if (value === null || value === undefined)
    throw new SnapshotSourceUnreadable(`the key to resume after has no value for ${column}`);
  return value;
}
