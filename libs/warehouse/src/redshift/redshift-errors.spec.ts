import { describe, expect, it } from 'vitest';
import { isDataError, WarehouseFailure } from '../errors';
import { classifyPostgresError } from '../postgres/postgres-errors';
import { classifyRedshiftError, RedshiftCopyFailed } from './redshift-errors';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
const violation = pgError('XX000', '1023');

describe('classifyRedshiftError', () => {
  it('retries error 1023, and only the Redshift classifier knows it', () => {
    const classified = classifyRedshiftError(violation, false);
    expect(classified).toBeInstanceOf(WarehouseFailure);
    expect(classified).toMatchObject({ code: 'XX000', retriable: true, message: '1023', cause: violation });
    expect(
      classifyRedshiftError(pgError('XX000', 'ERROR: 1023 DETAIL: Serializable isolation violation'), false)
        .retriable,
    ).toBe(true);
    expect(classifyPostgresError(violation, false).retriable).toBe(false);
  });

  it('does not retry other XX000 errors, whatever their message says', () => {
    for (const message of [
      'S3ServiceException:Access Denied',
      'not serializable: 10230 rows',
      'Serializable isolation violation',
    ])
      expect(classifyRedshiftError(pgError('XX000', message), false).retriable).toBe(false);
  });

  it('retries a lost connection and statement timeouts, keeps classified errors as they are', () => {
    expect(classifyRedshiftError(new Error('Connection terminated unexpectedly'), true)).toMatchObject({
      code: 'CONNECTION_LOST',
      retriable: true,
    });
    expect(classifyRedshiftError(new Error('Connection terminated unexpectedly'), false).retriable).toBe(
      false,
    );
    expect(classifyRedshiftError(pgError('57014', 'canceled'), false).retriable).toBe(true);
    const copy = new RedshiftCopyFailed('t', 'COPY ...', violation);
    expect(classifyRedshiftError(copy, false)).toBe(copy);
  });

  it("classifies Redshift's COPY load errors and in-query data errors (XX000) as the data refused", () => {
    const load = pgError(
      'XX000',
      "Load into table 'tablelane_stage' failed.  Check 'stl_load_errors' system table for details.",
    );
    expect(classifyRedshiftError(load, false)).toMatchObject({
      code: 'XX000',
      retriable: false,
      dataError: true,
    });
    for (const message of [
      'Numeric data overflow (result precision)',
      'Overflow (Integer valid range -2147483648 to 2147483647)',
      "Invalid digit, Value 'x', Pos 0, Type: Integer",
      'JSON parsing error',
      'invalid JSON object',
    ])
      expect(isDataError(classifyRedshiftError(pgError('XX000', message), false)), message).toBe(true);
  });

  it('keeps the in-query data messages to XX000, and never reads a broader pattern', () => {
    expect(isDataError(classifyRedshiftError(pgError('42601', 'JSON parsing error'), false))).toBe(false);
    for (const message of [
      'ERROR: 1023 DETAIL: Serializable isolation violation on table',
      'S3ServiceException:Access Denied',
      'Load into table failed',
      'overflowing buffer',
    ])
      expect(isDataError(classifyRedshiftError(pgError('XX000', message), false)), message).toBe(false);
  });

  it('classifies class 22 and 23 as the data refused, as its PostgreSQL-compatible mode raises them', () => {
    expect(isDataError(classifyRedshiftError(pgError('22P02', 'invalid input syntax'), false))).toBe(true);
    expect(isDataError(classifyRedshiftError(pgError('23505', 'duplicate key'), false))).toBe(true);
    expect(isDataError(classifyRedshiftError(pgError('40001', 'could not serialize'), false))).toBe(false);
    expect(isDataError(classifyRedshiftError(pgError('22P02', 'invalid input syntax'), true))).toBe(false);
  });

  it('gives a failed COPY the classification of its cause', () => {
    expect(new RedshiftCopyFailed('t', 'COPY ...', violation).retriable).toBe(true);
    expect(new RedshiftCopyFailed('t', 'COPY ...', pgError('XX000', 'Access Denied')).retriable).toBe(false);
    expect(new RedshiftCopyFailed('t', 'COPY ...', new Error('Connection terminated'), true)).toMatchObject({
      code: 'CONNECTION_LOST',
      retriable: true,
      dataError: false,
    });
    const load = pgError(
      'XX000',
      "Load into table 't' failed.  Check 'stl_load_errors' system table for details.",
    );
    expect(new RedshiftCopyFailed('t', 'COPY ...', load)).toMatchObject({
      code: 'XX000',
      retriable: false,
      dataError: true,
      cause: load,
    });
  });
});
