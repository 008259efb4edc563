/** Why a change was rejected; carried in the DLQ header `tablelane.error.code`. */
export type ChangeErrorCode =
  | 'MALFORMED_JSON'
  | 'TOO_DEEP'
  | 'TOO_LARGE'
  | 'INVALID_UTF8'
  | 'NOT_AN_OBJECT'
  | 'UNKNOWN_TABLE'
  | 'INVALID_OP'
  | 'MISSING_KEY'
  | 'UNKNOWN_COLUMN'
  | 'INVALID_VALUE'
  | 'INVALID_VERSION'
  | 'AVRO_DECODE_FAILED'
  | 'UNKNOWN_SCHEMA'
  | 'INCOMPATIBLE_SCHEMA'
  | 'BAD_MAGIC_BYTE';

export interface ChangeIssue {
  code: ChangeErrorCode;
  message: string;
  /** The field at fault, e.g. `row.qty`. */
  field?: string;
}

export class ChangeRejected extends Error {
  /** The input itself is at fault: sending it again is refused again. */
  readonly retryable = false;
  constructor(readonly issues: ChangeIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'ChangeRejected';
  }
  get code(): ChangeErrorCode {
    return this.issues[0]!.code;
  }
}
