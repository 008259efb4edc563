import { describe, expect, it } from 'vitest';
import { FencedError, isDataError, WarehouseFailure } from '../errors';
import { classifyPostgresError } from './postgres-errors';

const pgError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('classifyPostgresError', () => {
  it.each(['40001', '40P01', '55P03', '57014', '57P01', '53300', '08006', 'ECONNRESET'])(
    'retries %s',
    (code) => expect(classifyPostgresError(pgError(code), false)).toMatchObject({ code, retriable: true }),
  );

  it.each(['42601', '42P01', '22007', '23505', 'XX000'])('does not retry %s', (code) =>
    expect(classifyPostgresError(pgError(code), false)).toMatchObject({ code, retriable: false }),
  );

  it('retries a catalog race of two sinks creating one table, never a duplicate key in the data', () => {
    const race = Object.assign(
      pgError('23505', 'duplicate key value violates unique constraint "pg_type_typname_nsp_index"'),
      {
        schema: 'pg_catalog',
      },
    );
    expect(classifyPostgresError(race, false).retriable).toBe(true);
    expect(isDataError(classifyPostgresError(race, false))).toBe(false);
    expect(classifyPostgresError(pgError('42P07'), false).retriable).toBe(true);
    // Both sinks creating the table's row type at once.
    expect(classifyPostgresError(pgError('42710', 'type "s__t__ckpt" already exists'), false).retriable).toBe(
      true,
    );
    const dataDuplicate = Object.assign(pgError('23505'), { schema: 'public' });
    expect(classifyPostgresError(dataDuplicate, false).retriable).toBe(false);
  });

  it('decides by SQLSTATE, never by message', () => {
    expect(
      classifyPostgresError(pgError('42804', 'could not serialize access (not really)'), false).retriable,
    ).toBe(false);
    expect(
      classifyPostgresError(pgError('XX000', 'ERROR: 1023 Serializable isolation violation'), false)
        .retriable,
    ).toBe(false);
  });

  it('keeps the message, the cause and what isDataError reads', () => {
    const refused = pgError('22007', 'invalid input syntax for type date: "bad"');
    const classified = classifyPostgresError(refused, false);
    expect(classified).toBeInstanceOf(WarehouseFailure);
    expect(classified.message).toBe(refused.message);
    expect(classified.cause).toBe(refused);
    expect(isDataError(classified)).toBe(true);
  });

  it.each(['22001', '22003', '22007', '22008', '22P02', '22P05', '22021', '23505', '23502', '23514'])(
    'classifies SQLSTATE %s as the data refused (data exception or integrity constraint)',
    (code) => expect(isDataError(classifyPostgresError(pgError(code), false))).toBe(true),
  );

  it.each(['40001', '40P01', '55P03', '57014', '57P01', '08006', '53300', '42601', '42P01', 'XX000'])(
    'does not classify SQLSTATE %s as the data refused (connection, lock, serialization, timeout, our SQL)',
    (code) => expect(isDataError(classifyPostgresError(pgError(code), false))).toBe(false),
  );

  it("does not read Redshift's messages: its load and in-query data errors are not PostgreSQL's", () => {
    for (const message of [
      "Load into table 'tablelane_stage' failed.  Check 'stl_load_errors' system table for details.",
      'Numeric data overflow (result precision)',
      'JSON parsing error',
      'Invalid digit, Value',
    ]) {
      const classified = classifyPostgresError(pgError('XX000', message), false);
      expect(classified).toMatchObject({ code: 'XX000', retriable: false, dataError: false });
      expect(isDataError(classified), message).toBe(false);
    }
  });

  it('never classifies a lost connection or a socket failure as the data refused', () => {
    expect(isDataError(classifyPostgresError(pgError('22007'), true))).toBe(false);
    expect(isDataError(classifyPostgresError(pgError('ECONNRESET'), false))).toBe(false);
  });

  it('retries a lost connection, and S3 failures reading the staged file by status', () => {
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly'), true).retriable).toBe(true);
    const s3 = (status: number) => Object.assign(new Error('s3'), { $metadata: { httpStatusCode: status } });
    expect(classifyPostgresError(s3(503), false)).toMatchObject({ code: 'S3_503', retriable: true });
    expect(classifyPostgresError(s3(403), false)).toMatchObject({ code: 'S3_403', retriable: false });
  });

  it('passes tablelane errors through', () => {
    const fenced = new FencedError('t', 1, 1);
    expect(classifyPostgresError(fenced, true)).toBe(fenced);
  });
});
