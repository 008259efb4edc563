import { TablelaneError, type ChangeErrorCode, type ErrorCode } from '@app/config';

/**
 * A snapshot that cannot start as asked: another process runs one of the table, the lane baseline
 * has no lane for it, a stale run read another source. `retriable`: waiting can help (a running
 * snapshot ends or goes stale).
 */
export class SnapshotRefused extends TablelaneError {
  readonly code = 'SNAPSHOT_REFUSED';
  constructor(
    message: string,
    readonly retriable = false,
  ) {
    super(message);
    this.name = 'SnapshotRefused';
  }
}

/**
 * A snapshot that stopped before its end: by a signal or a failure it can be resumed from
 * (`retriable`: run the same command again), or for good (cancelled, taken over by another
 * process). Everything it committed stays on the lane; what it had not committed never shows.
 */
export class SnapshotStopped extends TablelaneError {
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SnapshotStopped';
  }
}

/**
 * A source row the lane cannot carry (it fails the contract or the warehouse's value rules, or
 * is larger than a Kafka message may be). The snapshot stops: a refresh without the row would
 * delete it in the target. Fix the row or the contract and run the snapshot again to resume.
 */
export class SnapshotRowRejected extends TablelaneError {
  readonly retriable = false;
  constructor(
    readonly code: ChangeErrorCode,
    table: string,
    key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the source row of ${table} with key ${key} cannot be part of the snapshot: ${reason}. ` +
        'The snapshot stopped (a refresh without the row would delete it in the target); fix the row or the ' +
        'contract and run the same command again: it resumes after the last committed row',
      options,
    );
    this.name = 'SnapshotRowRejected';
  }
}
