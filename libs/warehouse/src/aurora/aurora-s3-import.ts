import type { TableContract } from '@app/config';
import type { ClientBase } from 'pg';
import { CSV_NULL } from '../csv-codec';
import type { StagedBatch } from '../destination.port';
import { StagedUriUnusable, WarehouseError } from '../errors';
import { STAGING_TABLE, type Query } from '../dialect';
import { quoteIdent } from '../quote';
import { ORDINARY_SHAPE, stagedColumns, type StagingShape } from '../staging-shape';
import { parseS3Uri, type StagingLoader } from '../staging-loader';

export interface AuroraS3ImportOptions {
  /** Region of the bucket. */
  region: string;
  /**
   * Keys for the import; leave out to use the IAM role associated with the Aurora cluster for
   * the s3Import feature (recommended). Passed as parameters, never inside SQL text.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Aurora PostgreSQL loads the staged file from S3 server-side with the aws_s3 extension,
 * instead of the sink streaming it through the connection. The same COPY options as the
 * streamed load (CSV, \N as NULL); every argument is a parameter.
 */
export function auroraImportQuery(
  contract: TableContract,
  uri: string,
  options: AuroraS3ImportOptions,
  shape: StagingShape = ORDINARY_SHAPE,
): Query {
  const { bucket, key } = parseS3Uri(uri, contract.name);
  const columns = stagedColumns(contract, shape).map(quoteIdent).join(', ');
  const args = ['$1', '$2', '$3', 'aws_commons.create_s3_uri($4, $5, $6)'];
  const values: unknown[] = [
    STAGING_TABLE,
    columns,
    `(FORMAT csv, NULL '${CSV_NULL}')`,
    bucket,
    key,
    options.region,
  ];
  if (options.credentials) {
    args.push('aws_commons.create_aws_credentials($7, $8, $9)');
    values.push(
      options.credentials.accessKeyId,
      options.credentials.secretAccessKey,
      options.credentials.sessionToken ?? '',
    );
  }
  return { text: `SELECT aws_s3.table_import_from_s3(${args.join(', ')}) AS result`, values };
}

/**
 * aws_s3.table_import_from_s3 answered something other than its row count: the extension is
 * not the one this loader was written for, and asking again gets the same answer.
 */
export class AuroraImportUnexpectedAnswer extends WarehouseError {
  readonly code = 'AURORA_IMPORT_UNEXPECTED_ANSWER';
  readonly retriable = false;
  constructor(answer: string) {
    super(`unexpected answer from aws_s3.table_import_from_s3: ${JSON.stringify(answer)}`);
    this.name = 'AuroraImportUnexpectedAnswer';
  }
}

/** table_import_from_s3 answers like `3 rows imported into relation "t" from file k of 120 bytes`. */
export function importedRowCount(result: string): number {
  const match = /^(\d+) rows? imported/.exec(result);
  if (!match) throw new AuroraImportUnexpectedAnswer(result);
  return Number(match[1]);
}

/** The Aurora load step: plug into the PostgreSQL destination in place of the streamed COPY. */
export class AuroraS3ImportLoader implements StagingLoader {
  constructor(private readonly options: AuroraS3ImportOptions) {}

  async load(client: ClientBase, batch: StagedBatch): Promise<number> {
    if (!batch.stagedUri)
      throw new StagedUriUnusable(
        batch.contract.name,
        "it was not staged to S3 (Aurora's S3 import needs staging: s3)",
      );
    const query = auroraImportQuery(batch.contract, batch.stagedUri, this.options, batch.shape);
    const { rows } = await client.query<{ result: string }>(query.text, query.values);
    return importedRowCount(rows[0]?.result ?? '');
  }
}
