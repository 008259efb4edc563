/** Why a pipeline range failed, and what to do about it. */
export interface PipelineFailure {
  error: Error;
  /** The Kafka error type (`MESSAGE_TOO_LARGE`), the error's own code, or `UNEXPECTED_ERROR`. */
  code: string;
  /**
   * The records themselves cause it (a record the broker refuses, a transform that cannot
   * handle one): retrying the same range fails again, so the range is split instead.
   */
  recordAtFault: boolean;
  /** A normal part of running transactions that the next attempt settles: not worth a warning. */
  expected: boolean;
}

/** Broker answers about the records of a produce request, not about the cluster or us. */
const RECORD_FAULTS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

/** Transactions being settled by the coordinator (ours or a fenced predecessor's). */
const EXPECTED = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR']);

interface ErrorLike {
  type?: unknown;
  code?: unknown;
  retriable?: unknown;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every error reachable from one: kafkajs wraps causes in originalError, cause and errors[]. */
function* causes(error: unknown, depth = 0): Generator<ErrorLike> {
  if (typeof error !== 'object' || error === null || depth > 8) return;
  const e = error as ErrorLike;
  yield e;
  yield* causes(e.originalError, depth + 1);
  yield* causes(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* causes(inner, depth + 1);
}

/**
 * Classifies an error of one attempt. An error thrown by the transform is the records' fault
 * unless it says a retry helps (`retriable: true`, e.g. the schema registry is down). A Kafka
 * error is the records' fault only when the broker refused the records themselves; anything
 * else (fencing, rebalances, brokers down, authorization) is retried, since splitting on it
 * would dead-letter good records.
 */
export function classifyFailure(error: unknown, stage: 'transform' | 'kafka'): PipelineFailure {
  const asError = error instanceof Error ? error : new Error(String(error));
  const chain = [...causes(error)];
  const kafkaType = chain.map((e) => e.type).find((t): t is string => typeof t === 'string');
  const ownCode = chain.map((e) => e.code).find((c): c is string => typeof c === 'string');
  const code = kafkaType ?? ownCode ?? 'UNEXPECTED_ERROR';
  const retriable = chain.some((e) => e.retriable === true);
  return {
    error: asError,
    code,
    recordAtFault:
      stage === 'transform' ? !retriable : kafkaType !== undefined && RECORD_FAULTS.has(kafkaType),
    expected: kafkaType !== undefined && EXPECTED.has(kafkaType),
  };
}
