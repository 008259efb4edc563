import { DLQ_HEADERS } from '@app/contracts';
import type { PipelineOutput } from '@app/kafka';

/** A reason quoted in a log line is cut here; the dead letter's header keeps more. */
const MAX_LOGGED_REASON = 300;

export interface DeadLetterSummary {
  deadLetters: number;
  byCode: Record<string, number>;
  /** The first dead letter of the batch, as an example of what went wrong. */
  first: { offset: string; code: string; reason: string };
}

/**
 * One log line's worth for a committed batch: counts by code and one example, instead of a
 * line per refused record (a backlog of bad records would otherwise flood the log).
 */
export function summarizeDeadLetters(outputs: readonly PipelineOutput[]): DeadLetterSummary | undefined {
  const byCode: Record<string, number> = {};
  let first: DeadLetterSummary['first'] | undefined;
  let deadLetters = 0;
  for (const output of outputs) {
    const code = output.headers?.[DLQ_HEADERS.errorCode];
    if (code === undefined) continue;
    deadLetters++;
    byCode[String(code)] = (byCode[String(code)] ?? 0) + 1;
    first ??= {
      offset: String(output.headers?.[DLQ_HEADERS.sourceOffset]),
      code: String(code),
      reason: String(output.headers?.[DLQ_HEADERS.errorMessage] ?? '').slice(0, MAX_LOGGED_REASON),
    };
  }
  return first ? { deadLetters, byCode, first } : undefined;
}
