import { describe, expect, it } from 'vitest';
import { WarehouseFailure } from '../errors';
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

  it('gives a failed COPY the classification of its cause', () => {
    expect(new RedshiftCopyFailed('t', 'COPY ...', violation).retriable).toBe(true);
    expect(new RedshiftCopyFailed('t', 'COPY ...', pgError('XX000', 'Access Denied')).retriable).toBe(false);
    expect(new RedshiftCopyFailed('t', 'COPY ...', new Error('Connection terminated'), true)).toMatchObject({
      code: 'CONNECTION_LOST',
      retriable: true,
    });
  });
});
