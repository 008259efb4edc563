/**
 * tablelane's one error model: every error tablelane raises extends TablelaneError and carries
 * a `code` from the fixed list below, whether retrying the same operation can help
 * (`retriable`, decided where the error is raised or classified, never by reading a message),
 * and the error it wraps, if any (`cause`, passed to Error). It lives in libs/config because
 * that is the lib every other lib (and app) already imports, and it imports none of them.
 */

/** Why a change was rejected (the change itself is at fault); carried in the DLQ header `tablelane.error.code`. */
export const CHANGE_ERROR_CODES = [
  'MALFORMED_JSON',
  'TOO_DEEP',
  'TOO_LARGE',
  'INVALID_UTF8',
  'NOT_AN_OBJECT',
  'UNKNOWN_TABLE',
  'INVALID_OP',
  'MISSING_KEY',
  'UNKNOWN_COLUMN',
  'INVALID_VALUE',
  'INVALID_VERSION',
  'AVRO_DECODE_FAILED',
  'UNKNOWN_SCHEMA',
  'INCOMPATIBLE_SCHEMA',
  'BAD_MAGIC_BYTE',
] as const;
export type ChangeErrorCode = (typeof CHANGE_ERROR_CODES)[number];

/** Every code of tablelane's own errors. A new error class adds its code here. */
export const TABLELANE_ERROR_CODES = [
  ...CHANGE_ERROR_CODES,
  // Configuration and command lines.
  'CONFIG_INVALID',
  'API_KEYS_INVALID',
  'USAGE',
  // Kafka: topics, the schema registry, dead-letter replays.
  'TOPIC_PLAN_INVALID',
  'TOPIC_MISSING',
  'TOPIC_SCAN_TIMEOUT',
  'REGISTRY_UNAVAILABLE',
  'REGISTRY_REFUSED',
  'REPLAY_FAILED',
  'GROUP_MEMBERSHIP_LOST',
  'KAFKA_CONNECTION_REFUSED',
  // The producer gateway and the SDK.
  'PAYLOAD_TOO_LARGE',
  'REQUEST_ABORTED',
  'INVALID_CHANGES',
  // The router.
  'CONTRACT_GAP_HELD',
  'PAYLOAD_STORE_UNAVAILABLE',
  'LANES_CHANGED',
  // The sink.
  'CHANGE_HELD',
  'NOT_LANE_OWNER',
  'LOCK_POLICY_FAIL',
  // Snapshots (tablelane snapshot).
  /** Another live run holds the table, or the table has no lane: nothing was written. */
  'SNAPSHOT_REFUSED',
  /** A newer snapshot of the table, or a cancel, took over; this run stopped. */
  'SNAPSHOT_FENCED',
  /** Stopped by a signal; everything committed stays, running the same command resumes. */
  'SNAPSHOT_INTERRUPTED',
  /** The source's output could not be read as the format promised (COPY text, UNLOAD CSV). */
  'SNAPSHOT_SOURCE_UNREADABLE',
  // The warehouse (libs/warehouse).
  'WAREHOUSE_KIND_UNKNOWN',
  'LANE_FENCED',
  'CHECKPOINT_NOT_ADVANCING',
  'STAGING_COUNT_MISMATCH',
  'DUPLICATE_CHECKPOINT_ROWS',
  'STAGED_URI_UNUSABLE',
  'AURORA_IMPORT_UNEXPECTED_ANSWER',
  /** TLS to the warehouse failed on a setting (an untrusted certificate, no TLS at the server). */
  'WAREHOUSE_TLS_REFUSED',
  /** The warehouse connection failed during the operation and the error carried no code of its own. */
  'CONNECTION_LOST',
] as const;
export type TablelaneErrorCode = (typeof TABLELANE_ERROR_CODES)[number];

declare const reported: unique symbol;
/**
 * A code another system reported, carried unchanged so logs, metrics and dead letters read as
 * that system wrote it: the warehouse's SQLSTATE (`23505`, `XX000`), a socket's (`ECONNRESET`),
 * the staging store's HTTP status (`S3_503`). Only a classifier makes one (`reportedCode`), and
 * only WarehouseFailure (and errors that take a failure's classification) carries one.
 */
export type ReportedCode = string & { readonly [reported]: true };

/** The code of a TablelaneError: one of tablelane's own, or one a warehouse reported. */
export type ErrorCode = TablelaneErrorCode | ReportedCode;

/** Marks a code another system reported (see ReportedCode). */
export function reportedCode(code: string): ReportedCode {
  return code as ReportedCode;
}

/** Whether `code` is one of tablelane's own codes. */
export function isTablelaneErrorCode(code: unknown): code is TablelaneErrorCode {
  return typeof code === 'string' && (TABLELANE_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * The base of every tablelane error: a code, whether retrying the same operation can help,
 * and the error it wraps, if any (`cause`, passed to Error). Retry decisions read `retriable`.
 */
export abstract class TablelaneError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly retriable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
