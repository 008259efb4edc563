import { TablelaneError, type ChangeErrorCode } from '@app/config';

/**
 * Why a change was rejected; carried in the DLQ header `tablelane.error.code`. Listed in
 * @app/config's tablelane-error.ts with every other error code.
 */
export { CHANGE_ERROR_CODES, type ChangeErrorCode } from '@app/config';

export interface ChangeIssue {
  code: ChangeErrorCode;
  message: string;
  /** The field at fault, e.g. `row.qty`. */
  field?: string;
}

export class ChangeRejected extends TablelaneError {
  /** The input itself is at fault: sending it again is refused again. */
  readonly retriable = false;
  constructor(
    readonly issues: ChangeIssue[],
    options?: { cause?: unknown },
  ) {
    super(issues.map((i) => i.message).join('; '), options);
    this.name = 'ChangeRejected';
  }
  get code(): ChangeErrorCode {
    return this.issues[0]!.code;
  }
}
