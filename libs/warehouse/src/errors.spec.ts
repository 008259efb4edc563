import { describe, expect, it } from 'vitest';
import { CheckpointNotAdvancing, FencedError, isDataError, StagingCountMismatch } from './errors';
import { RedshiftCopyFailed } from './redshift/redshift-errors';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('isDataError', () => {
  it.each(['22001', '22003', '22007', '22008', '22P02', '22P05', '22021', '23505', '23502'])(
    'is true for SQLSTATE %s (data exception or integrity constraint)',
    (code) => expect(isDataError(pgError(code))).toBe(true),
  );

  it.each(['40001', '40P01', '55P03', '57014', '57P01', '08006', '53300', '42601', '42P01', 'XX000'])(
    'is false for SQLSTATE %s (connection, lock, serialization, timeout, or a bug in our SQL)',
    (code) => expect(isDataError(pgError(code))).toBe(false),
  );

  it('is false for node connection errors and our own retriable errors', () => {
    expect(isDataError(pgError('ECONNRESET'))).toBe(false);
    expect(isDataError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isDataError(new StagingCountMismatch('t', 2, 1))).toBe(false);
    expect(isDataError(new FencedError('t', 1, 1))).toBe(false);
    expect(isDataError(new CheckpointNotAdvancing('t', 1, 5, 5))).toBe(false);
    expect(isDataError(undefined)).toBe(false);
  });

  it("is true for Redshift's COPY load errors and in-query data errors, reported as XX000", () => {
    const load = pgError(
      'XX000',
      "Load into table 'tablelane_stage' failed.  Check 'stl_load_errors' system table for details.",
    );
    expect(isDataError(load)).toBe(true);
    expect(isDataError(new RedshiftCopyFailed('public.sales', 'COPY ...', load))).toBe(true);
    expect(isDataError(pgError('XX000', 'Numeric data overflow (result precision)'))).toBe(true);
    expect(isDataError(pgError('XX000', 'JSON parsing error'))).toBe(true);
  });

  it("is false for Redshift's serialization violation, even though it is XX000 too", () => {
    expect(
      isDataError(pgError('XX000', 'ERROR: 1023 DETAIL: Serializable isolation violation on table')),
    ).toBe(false);
  });
});
