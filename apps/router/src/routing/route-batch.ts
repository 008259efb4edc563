import type { PipelineFailure, PipelineOutput, PipelineRecord } from '@app/kafka';
import type { ContractHold } from './contract-hold';
import type { AvroDecoder } from './decode-ingest';
import type { FitToTopics } from './fit-to-topics';
import { deadLetter, routeRecord, type RouteContext } from './route-record';

/** What the router writes for a batch: each record's change or dead letter, sized to fit. */
export async function routeBatch(
  ctx: () => RouteContext,
  fitter: FitToTopics,
  avro: AvroDecoder,
  hold: ContractHold,
  records: readonly PipelineRecord[],
): Promise<PipelineOutput[]> {
  const outputs: PipelineOutput[] = [];
  for (const record of records) {
    // The context is read per record: a contract reload replaces it.
    const result = await hold.route(record, () => routeRecord(ctx(), record, avro));
    if (result.kind !== 'filtered') outputs.push(await fitter.fitOutput(record, result.output));
  }
  return outputs;
}

/**
 * The dead letter of a record that failed alone after the pipeline split its batch: the
 * broker refused what it became, or handling it threw past routeRecord. In its smallest
 * form when the broker refused a size, so that this one fits.
 */
export function deadLetterOfFailure(
  ctx: RouteContext,
  fitter: FitToTopics,
  record: PipelineRecord,
  failure: PipelineFailure,
): Promise<PipelineOutput> {
  const letter = deadLetter(ctx, record, {
    code: failure.code,
    message: `writing this record failed alone: ${failure.error.message}`,
  });
  return failure.code === 'MESSAGE_TOO_LARGE' || failure.code === 'RECORD_LIST_TOO_LARGE'
    ? fitter.minimal(record, letter)
    : fitter.fitOutput(record, letter);
}
