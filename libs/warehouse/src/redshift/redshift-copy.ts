import { CSV_NULL } from '../csv-codec';

/**
 * How Redshift authenticates to S3 for COPY. An IAM role associated with the cluster is the
 * recommended choice: its ARN is not a secret, so the statement can be logged as is. Access
 * keys (optionally temporary, with a session token) are secrets: they only ever appear in the
 * statement text sent to the server, never in its redacted form.
 */
export type RedshiftCopyCredentials =
  | { kind: 'iam-role'; roleArn: string }
  | { kind: 'access-keys'; accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export interface RedshiftCopyOptions {
  credentials: RedshiftCopyCredentials;
  /** Region of the bucket, when it is not the cluster's own. */
  region?: string;
  /** The staged file is gzip-compressed (encodeRedshiftStagedFile writes it so). */
  gzip: boolean;
  /** The URI names a manifest listing the data files exactly, instead of a key prefix. */
  manifest: boolean;
}

/** A COPY statement, and the same statement with every secret replaced, for logs and errors. */
export interface CopyStatement {
  text: string;
  redacted: string;
}

export const REDACTED = "'<redacted>'";

/**
 * The data format options every COPY uses, matched to csv-codec.ts: CSV with the default `"`
 * quote and `,` delimiter; the unquoted marker \N is NULL. Deliberately absent: EMPTYASNULL and
 * BLANKSASNULL (an empty or blank string stays a string), TRIMBLANKS, TRUNCATECOLUMNS and
 * ACCEPTINVCHARS (never change a value silently: fail the load instead), ESCAPE and
 * REMOVEQUOTES (not allowed with CSV). COMPUPDATE and STATUPDATE are off because the staging
 * table is a fresh temporary table per batch: analysing it would cost more than the load.
 */
export const COPY_FORMAT_OPTIONS = [
  'CSV',
  `NULL AS ${redshiftLiteral(CSV_NULL)}`,
  "TIMEFORMAT 'auto'",
  "DATEFORMAT 'auto'",
  'COMPUPDATE OFF',
  'STATUPDATE OFF',
] as const;

/**
 * A Redshift string literal. Redshift reads a backslash in a literal as an escape (so the NULL
 * marker \N is written '\\N'), which is why backslashes are doubled as well as quotes. COPY
 * takes no bind parameters, so every value placed here is also validated by its caller.
 */
export function redshiftLiteral(value: string): string {
  if ([...value].some((ch) => ch.charCodeAt(0) < 0x20))
    throw new Error('refusing a control character in a COPY literal');
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9!_.*()/=+-]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const SECRET = /^[A-Za-z0-9/+=]+$/;

function check(what: string, value: string, pattern: RegExp, shown = true): string {
  if (!pattern.test(value)) {
    throw new Error(`invalid ${what}${shown ? ` ${JSON.stringify(value)}` : ''} for Redshift COPY`);
  }
  return value;
}

function credentialClauses(credentials: RedshiftCopyCredentials): { text: string[]; redacted: string[] } {
  if (credentials.kind === 'iam-role') {
    // Chained roles are comma-separated ARNs, each checked.
    credentials.roleArn.split(',').forEach((arn) => check('IAM role ARN', arn, ROLE_ARN));
    const clause = `IAM_ROLE ${redshiftLiteral(credentials.roleArn)}`;
    return { text: [clause], redacted: [clause] };
  }
  const id = check('access key id', credentials.accessKeyId, ACCESS_KEY_ID, false);
  const secret = check('secret access key', credentials.secretAccessKey, SECRET, false);
  const text = [`ACCESS_KEY_ID ${redshiftLiteral(id)}`, `SECRET_ACCESS_KEY ${redshiftLiteral(secret)}`];
  const redacted = [`ACCESS_KEY_ID ${REDACTED}`, `SECRET_ACCESS_KEY ${REDACTED}`];
  if (credentials.sessionToken !== undefined) {
    const token = check('session token', credentials.sessionToken, SECRET, false);
    text.push(`SESSION_TOKEN ${redshiftLiteral(token)}`);
    redacted.push(`SESSION_TOKEN ${REDACTED}`);
  }
  return { text, redacted };
}

/**
 * `COPY <table> (<columns>) FROM 's3://...' <credentials> <format options>`. The column list
 * is already quoted; the URI and every option value are validated, then written as literals.
 */
export function copyFromS3(
  table: string,
  quotedColumns: string[],
  uri: string,
  options: RedshiftCopyOptions,
): CopyStatement {
  check('S3 URI', uri, S3_URI);
  if (options.region !== undefined) check('region', options.region, REGION);
  const credentials = credentialClauses(options.credentials);
  const tail = [
    ...COPY_FORMAT_OPTIONS,
    ...(options.gzip ? ['GZIP'] : []),
    ...(options.manifest ? ['MANIFEST'] : []),
    ...(options.region !== undefined ? [`REGION ${redshiftLiteral(options.region)}`] : []),
  ];
  const head = `COPY ${table} (${quotedColumns.join(', ')}) FROM ${redshiftLiteral(uri)}`;
  return {
    text: [head, ...credentials.text, ...tail].join(' '),
    redacted: [head, ...credentials.redacted, ...tail].join(' '),
  };
}

/** Rows the last COPY of this session loaded; compared with the staged count before merging. */
export const LAST_COPY_COUNT = 'SELECT pg_last_copy_count() AS loaded';
