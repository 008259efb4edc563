import { ChangeRejected } from '@app/contracts';
import { looksAvroFramed } from '@app/kafka';

/** The part of the Avro codec the router needs; a port so decoding is testable alone. */
export interface AvroDecoder {
  decode(bytes: Buffer): Promise<Record<string, unknown>>;
}

/**
 * Decodes an ingest value of either documented form: Confluent-framed Avro (first byte 0)
 * or JSON text (which never starts with a NUL byte). Throws ChangeRejected for bad bytes.
 */
export async function decodeIngestValue(value: Buffer | null, avro: AvroDecoder): Promise<unknown> {
  if (value === null || value.length === 0) {
    throw new ChangeRejected([
      {
        code: 'NOT_AN_OBJECT',
        message: 'the record has no value; a change event must be a JSON object or an Avro ChangeEvent',
      },
    ]);
  }
  if (looksAvroFramed(value)) return avro.decode(value);
  const text = value.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ChangeRejected([
      {
        code: 'MALFORMED_JSON',
        message: `not valid JSON (and not Avro: the first byte is not 0): ${(error as Error).message}`,
      },
    ]);
  }
}
