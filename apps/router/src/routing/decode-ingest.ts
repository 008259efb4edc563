import { ChangeRejected, parseBoundedJson } from '@app/contracts';
import { looksAvroFramed } from '@app/kafka';

/** The part of the Avro codec the router needs; a port so decoding is testable alone. */
export interface AvroDecoder {
  decode(bytes: Buffer): Promise<Record<string, unknown>>;
}

/** Bytes JSON text may start with besides printable ones: whitespace. */
const JSON_WHITESPACE = new Set([0x09, 0x0a, 0x0d]);

/**
 * Decodes an ingest value of either documented form: Confluent-framed Avro (first byte 0)
 * or JSON text (strict UTF-8, bounded in depth and size before it is parsed). Throws
 * ChangeRejected for bad bytes.
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
  const first = value[0]!;
  if (first < 0x20 && !JSON_WHITESPACE.has(first)) {
    // A control byte: some other framing (a Confluent magic byte other than 0), not text.
    throw new ChangeRejected([
      {
        code: 'BAD_MAGIC_BYTE',
        message: `neither JSON nor Confluent-framed Avro: the first byte is 0x${first.toString(16).padStart(2, '0')}, Avro needs the magic byte 0x00`,
      },
    ]);
  }
  return parseBoundedJson(value);
}
