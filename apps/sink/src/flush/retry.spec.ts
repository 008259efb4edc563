import { FencedError, isTransient, StagingCountMismatch } from '@app/warehouse';
import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from './retry';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const hooks = (log: string[] = []) => ({
  onRetry: (_e: unknown, attempt: number, _d: number, code: string) => void log.push(`${attempt}:${code}`),
  shouldContinue: () => true,
});
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

describe('isTransient', () => {
  it.each(['40001', '40P01', '55P03', '57014', '08006', 'ECONNRESET'])('retries %s', (code) =>
    expect(isTransient(pgError(code))).toBe(true),
  );
  it('retries Redshift 1023 and S3 5xx and throttling', () => {
    expect(isTransient(new Error('ERROR: 1023 DETAIL: Serializable isolation violation on table'))).toBe(
      true,
    );
    expect(isTransient(Object.assign(new Error('s3'), { $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('s3'), { $metadata: { httpStatusCode: 403 } }))).toBe(false);
  });
  it('never retries fencing, always retries a count mismatch', () => {
    expect(isTransient(new FencedError('t', 1, 1))).toBe(false);
    expect(isTransient(new StagingCountMismatch('t', 2, 1))).toBe(true);
  });
  it('does not retry a syntax error forever', () => expect(isTransient(pgError('42601'))).toBe(false));
  it('retries a client whose connection broke', () =>
    expect(isTransient(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    ));
});

describe('backoffDelay', () => {
  it('grows exponentially with full jitter up to the cap', () => {
    expect(backoffDelay(0, { initialDelayMs: 100, maxDelayMs: 10_000 }, () => 0)).toBe(50);
    expect(backoffDelay(3, { initialDelayMs: 100, maxDelayMs: 10_000 }, () => 1)).toBe(800);
    expect(backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 10_000 }, () => 1)).toBe(10_000);
  });
});

describe('withRetry', () => {
  it('retries transient errors until the work succeeds', async () => {
    const log: string[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => (++calls < 4 ? Promise.reject(pgError(calls % 2 ? '40001' : '40P01')) : 'done'),
      hooks(log),
      fast,
    );
    expect(result).toBe('done');
    expect(log).toEqual(['1:40001', '2:40P01', '3:40001']);
  });

  it('gives up at once on fencing', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(new FencedError('t', 0, 1))), hooks(), fast),
    ).rejects.toBeInstanceOf(FencedError);
    expect(calls).toBe(1);
  });

  it('gives up on a permanent error after a few attempts', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => (calls++, Promise.reject(pgError('42601'))), hooks(), fast, 3),
    ).rejects.toThrow('42601');
    expect(calls).toBe(3);
  });

  it('stops when the lane is revoked', async () => {
    let calls = 0;
    const revoked = { ...hooks(), shouldContinue: () => calls < 2 };
    await expect(
      withRetry(async () => (calls++, Promise.reject(pgError('40001'))), revoked, fast),
    ).rejects.toThrow();
    expect(calls).toBe(2);
  });
});
