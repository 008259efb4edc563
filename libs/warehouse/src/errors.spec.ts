import { reportedCode, TablelaneError } from '@app/config';
import { describe, expect, it } from 'vitest';
import {
  CheckpointNotAdvancing,
  errorCode,
  FencedError,
  isDataError,
  isTransient,
  StagingCountMismatch,
  WarehouseError,
  WarehouseFailure,
} from './errors';
import { classifyPostgresError } from './postgres/postgres-errors';
import { classifyRedshiftError, RedshiftCopyFailed } from './redshift/redshift-errors';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('isDataError', () => {
  it('reads the classification of the destination, nothing else', () => {
    const failure = (dataError: boolean) =>
      new WarehouseFailure({ code: reportedCode('22007'), retriable: false, dataError }, pgError('22007'));
    expect(isDataError(failure(true))).toBe(true);
    expect(isDataError(failure(false))).toBe(false);
  });

  it('is never true for an error no destination classified, whatever its code or message', () => {
    expect(isDataError(pgError('22007'))).toBe(false);
    expect(isDataError(pgError('23505'))).toBe(false);
    expect(
      isDataError(
        pgError('XX000', "Load into table 'tablelane_stage' failed.  Check 'stl_load_errors' system table."),
      ),
    ).toBe(false);
    expect(isDataError(undefined)).toBe(false);
    expect(isDataError(null)).toBe(false);
  });

  it('is false for our own errors, retriable or not', () => {
    expect(isDataError(new StagingCountMismatch('t', 2, 1))).toBe(false);
    expect(isDataError(new FencedError('t', 1, 1))).toBe(false);
    expect(isDataError(new CheckpointNotAdvancing('t', 1, 5, 5))).toBe(false);
  });

  it('is never true for a failure classified as retriable', () => {
    const both = new WarehouseFailure(
      { code: reportedCode('40001'), retriable: true, dataError: true },
      pgError('40001'),
    );
    expect(isDataError(both)).toBe(false);
    expect(isTransient(both)).toBe(true);
  });

  it('asks each destination: Redshift load errors are data errors on Redshift only', () => {
    const load = pgError(
      'XX000',
      "Load into table 'tablelane_stage' failed.  Check 'stl_load_errors' system table for details.",
    );
    expect(isDataError(classifyRedshiftError(load, false))).toBe(true);
    expect(isDataError(new RedshiftCopyFailed('public.sales', 'COPY ...', load))).toBe(true);
    expect(isDataError(classifyPostgresError(load, false))).toBe(false);
  });
});

describe('isTransient', () => {
  it('reads `retriable` of a classified error only', () => {
    expect(isTransient(new StagingCountMismatch('t', 2, 1))).toBe(true);
    expect(isTransient(new FencedError('t', 1, 1))).toBe(false);
    expect(isTransient(classifyPostgresError(pgError('40001'), false))).toBe(true);
  });

  it('does not know an unclassified error to be transient, whatever its code or message', () => {
    expect(isTransient(pgError('40001', 'could not serialize access'))).toBe(false);
    expect(isTransient(pgError('ECONNRESET'))).toBe(false);
    expect(isTransient(Object.assign(new Error('s3'), { $metadata: { httpStatusCode: 503 } }))).toBe(false);
  });
});

describe('WarehouseError', () => {
  it('is a TablelaneError with a code, retriable and the cause it wraps', () => {
    const cause = pgError('23505', 'duplicate key');
    const classified = classifyPostgresError(cause, false);
    expect(classified).toBeInstanceOf(WarehouseError);
    expect(classified).toBeInstanceOf(TablelaneError);
    expect(classified).toMatchObject({ code: '23505', retriable: false, dataError: true, cause });
    expect(new FencedError('t', 1, 1).cause).toBeUndefined();
    expect(Object.hasOwn(new FencedError('t', 1, 1), 'cause')).toBe(false);
  });
});

describe('errorCode', () => {
  it("reports a tablelane error's code, else what the error carries", () => {
    expect(errorCode(new FencedError('t', 1, 1))).toBe('LANE_FENCED');
    expect(errorCode(classifyPostgresError(pgError('55P03'), false))).toBe('55P03');
    expect(errorCode(pgError('ECONNRESET'))).toBe('ECONNRESET');
    expect(errorCode(Object.assign(new Error('s3'), { $metadata: { httpStatusCode: 503 } }))).toBe('S3_503');
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
    expect(errorCode('nope')).toBe('UNKNOWN');
  });
});
