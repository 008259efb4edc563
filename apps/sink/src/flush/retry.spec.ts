import {
  classifyPostgresError,
  classifyRedshiftError,
  FencedError,
  isTransient,
  StagingCountMismatch,
} from '@app/warehouse';
import { ConfigError } from '@app/config';
import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from './retry';

const pgError = (code: string, message = `pg ${code}`) => Object.assign(new Error(message), { code });
/** What a PostgreSQL destination throws for a driver error: classified by its SQLSTATE. */
const fromPostgres = (code: string, message?: string) => classifyPostgresError(pgError(code, message), false);
const hooks = (log: string[] = []) => ({
  onRetry: (_e: unknown, attempt: number, _d: number, code: string) => void log.push(`${attempt}:${code}`),
  shouldContinue: () => true,
});
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('isTransient', () => {
  it.each(['40001', '40P01', '55P03', '57014', '08006', 'ECONNRESET'])(
    'retries %s as classified by the destination',
    (code) => expect(isTransient(fromPostgres(code))).toBe(true),
  );
  it('retries Redshift 1023 only as the Redshift destination classifies it', () => {
    const violation = pgError('XX000', 'ERROR: 1023 DETAIL: Serializable isolation violation on table');
    expect(isTransient(classifyRedshiftError(violation, false))).toBe(true);
    expect(isTransient(classifyPostgresError(violation, false))).toBe(false);
    expect(isTransient(violation)).toBe(false);
  });
  it('never reads a message: a permanent error mentioning serialization is not retried', () => {
    const permanent = pgError(
      '42804',
      'column "serialized" is of type integer but expression is of type text',
    );
    expect(isTransient(classifyRedshiftError(permanent, false))).toBe(false);
    expect(isTransient(classifyPostgresError(permanent, false))).toBe(false);
  });
  it('retries S3 5xx and throttling as the destination classifies them, not a refusal', () => {
    const s3 = (status: number) => Object.assign(new Error('s3'), { $metadata: { httpStatusCode: status } });
    expect(isTransient(classifyPostgresError(s3(503), false))).toBe(true);
    expect(isTransient(classifyPostgresError(s3(429), false))).toBe(true);
    expect(isTransient(classifyPostgresError(s3(403), false))).toBe(false);
  });
  it('reads `retriable` only: an unclassified error is not known to be transient, whatever it says', () => {
    expect(isTransient(pgError('40001', 'could not serialize access'))).toBe(false);
    expect(isTransient(Object.assign(new Error('s3'), { $metadata: { httpStatusCode: 503 } }))).toBe(false);
    expect(isTransient(Object.assign(new Error('retriable'), { retriable: true }))).toBe(false);
  });
  it('never retries fencing, always retries a count mismatch', () => {
    expect(isTransient(new FencedError('t', 1, 1))).toBe(false);
    expect(isTransient(new StagingCountMismatch('t', 2, 1))).toBe(true);
  });
  it('does not retry a syntax error forever', () => expect(isTransient(fromPostgres('42601'))).toBe(false));
  it('retries whatever failed on a client whose connection broke', () =>
    expect(
      isTransient(
        classifyPostgresError(
          new Error('Client has encountered a connection error and is not queryable'),
          true,
        ),
      ),
    ).toBe(true));
});

describe('backoffDelay', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };
  it('grows exponentially with equal jitter: between half the cap and the cap', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(30, policy, () => 0)).toBe(5_000);
    expect(backoffDelay(30, policy, () => 1)).toBe(10_000);
  });
});

describe('withRetry', () => {
  it('retries transient errors until the work succeeds', async () => {
    const log: string[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => (++calls < 4 ? Promise.reject(fromPostgres(calls % 2 ? '40001' : '40P01')) : 'done'),
      hooks(log),
      fast,
    );
    expect(result).toBe('done');
    expect(log).toEqual(['1:40001', '2:40P01', '3:40001']);
  });

  it('gives up at once on any tablelane error that is not retriable', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => (calls++, Promise.reject(new ConfigError('environment', ['bad']))),
        hooks(),
        fast,
      ),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(calls).toBe(1);
  });

  it('gives up at once on fencing and on a classified permanent error', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(new FencedError('t', 0, 1))), hooks(), fast),
    ).rejects.toBeInstanceOf(FencedError);
    expect(calls).toBe(1);
    await expect(
      withRetry(async () => (calls++, Promise.reject(fromPostgres('42601'))), hooks(), fast),
    ).rejects.toThrow('42601');
    expect(calls).toBe(2);
  });

  it('gives up on an unclassified error after a few attempts', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(new Error('bucket missing'))), hooks(), fast, 3),
    ).rejects.toThrow('bucket missing');
    expect(calls).toBe(3);
  });

  it('stops when the lane is revoked', async () => {
    let calls = 0;
    const revoked = { ...hooks(), shouldContinue: () => calls < 2 };
    await expect(
      withRetry(async () => (calls++, Promise.reject(fromPostgres('40001'))), revoked, fast),
    ).rejects.toThrow();
    expect(calls).toBe(2);
  });
});
