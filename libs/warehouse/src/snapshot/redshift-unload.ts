import type { TableContract } from '@app/config';
import { qualify, quoteIdent } from '../quote';
import { redshiftLiteral, type CopyStatement, type RedshiftCopyCredentials } from '../redshift/redshift-copy';
import type { SnapshotFrom } from './postgres-snapshot-sql';

/**
 * The column UNLOAD adds after the contract's: one `1` (NULL) or `0` per contract column. CSV has
 * no NULL of its own: UNLOAD writes NULL as an empty field, like the empty string, and a NULL AS
 * marker could be a text value too. The flags tell them apart exactly, whatever the text holds.
 */
export const NULL_FLAGS_COLUMN = '__tl_nulls';

export interface UnloadRequest {
  contract: TableContract;
  from: SnapshotFrom;
  /** `s3://bucket/prefix/`: the run's own folder; the manifest is `<to>manifest`. */
  to: string;
  /** UNLOAD writes with the cluster's IAM role (REDSHIFT_IAM_ROLE). */
  credentials: RedshiftCopyCredentials;
  /** The bucket's region, when it is not the cluster's. */
  region?: string;
  /** Largest file UNLOAD writes, in MB (5 to 6200). */
  maxFileSizeMb: number;
}

const S3_FOLDER = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9!_.*()/=+-]+\/$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * What UNLOAD runs: the contract's columns and their NULL flags, from the table or the query (a
 * subquery; UNLOAD's literal cannot hold a line break, so neither can the query).
 */
export function unloadSelect(contract: TableContract, from: SnapshotFrom): string {
  if ('query' in from && [...from.query].some((ch) => ch.charCodeAt(0) < 0x20))
    throw new Error(
      'a query UNLOAD runs must be one line: no line breaks or tabs (Redshift refuses them in its literal)',
    );
  const columns = contract.columns.map((c) => quoteIdent(c.name));
  const flags = columns.map((c) => `CASE WHEN ${c} IS NULL THEN '1' ELSE '0' END`).join(' || ');
  const relation =
    'query' in from ? `(${from.query}) AS "snapshot_source"` : qualify(from.schema, from.table);
  return `SELECT ${columns.join(', ')}, ${flags} AS ${quoteIdent(NULL_FLAGS_COLUMN)} FROM ${relation}`;
}

/**
 * `UNLOAD ('<select>') TO 's3://…/' IAM_ROLE '…' <options>`: gzip CSV with a header line (checked
 * against the contract when read), a verbose manifest (each file's row count), written in
 * parallel into the run's own folder. ALLOWOVERWRITE, because a run resumed before its manifest
 * was written UNLOADs into the same folder again. The role ARN is not a secret: the statement
 * may be logged as it is.
 */
export function unloadStatement(request: UnloadRequest): CopyStatement {
  const { credentials, region, maxFileSizeMb, to } = request;
  if (credentials.kind !== 'iam-role')
    throw new Error(
      'a Redshift snapshot UNLOADs with an IAM role: set REDSHIFT_IAM_ROLE (access keys are for COPY only)',
    );
  credentials.roleArn.split(',').forEach((arn) => check('IAM role ARN', arn, ROLE_ARN));
  check('S3 folder', to, S3_FOLDER);
  if (region !== undefined) check('region', region, REGION);
  if (!Number.isInteger(maxFileSizeMb) || maxFileSizeMb < 5 || maxFileSizeMb > 6200)
    throw new Error(`MAXFILESIZE must be 5 to 6200 MB, not ${maxFileSizeMb}`);
  const text = [
    `UNLOAD (${redshiftLiteral(unloadSelect(request.contract, request.from))})`,
    `TO ${redshiftLiteral(to)}`,
    `IAM_ROLE ${redshiftLiteral(credentials.roleArn)}`,
    'FORMAT AS CSV',
    'HEADER',
    'MANIFEST VERBOSE',
    'GZIP',
    'ALLOWOVERWRITE',
    'PARALLEL ON',
    `MAXFILESIZE ${maxFileSizeMb} MB`,
    ...(region !== undefined ? [`REGION ${redshiftLiteral(region)}`] : []),
  ].join(' ');
  return { text, redacted: text };
}

function check(what: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw new Error(`invalid ${what} ${JSON.stringify(value)} for Redshift UNLOAD`);
}
