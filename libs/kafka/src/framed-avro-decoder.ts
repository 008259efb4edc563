import { ChangeRejected } from '@app/contracts';
import avro from 'avsc';
import {
  HttpSchemaRegistry,
  type RegistryConnection,
  type SchemaRegistryPort,
} from './schema-registry-client';

/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian int. */
const HEADER_BYTES = 5;

/** A Confluent-framed Avro value as its writer wrote it, with the writer's schema. */
export interface DecodedAvro {
  value: unknown;
  /** The writer schema as JSON (Debezium's carries `connect.name` and `connect.parameters`). */
  schema: unknown;
}

interface Writer {
  type: avro.Type;
  schema: unknown;
}

/**
 * Decodes any Confluent-framed Avro value with its own writer schema from the registry (no
 * reader schema: CDC envelopes differ per source table). Bytes stay Buffers and logical
 * types their underlying values, so the envelope mapping reads them exactly. Throws
 * ChangeRejected for bad bytes or an unknown id, RegistryUnavailable when the registry
 * cannot be asked.
 */
export class FramedAvroDecoder {
  private readonly writers = new Map<number, Writer>();

  constructor(private readonly registry: SchemaRegistryPort) {}

  static connect(registry: string | RegistryConnection): FramedAvroDecoder {
    return new FramedAvroDecoder(new HttpSchemaRegistry(registry));
  }

  async decode(bytes: Buffer): Promise<DecodedAvro> {
    if (bytes.length < HEADER_BYTES || bytes[0] !== 0)
      throw new ChangeRejected([
        {
          code: 'AVRO_DECODE_FAILED',
          message: 'not in the Avro wire format (magic byte 0 and a 4-byte schema id)',
        },
      ]);
    const id = bytes.readInt32BE(1);
    const writer = await this.writerFor(id);
    try {
      return { value: writer.type.fromBuffer(bytes.subarray(HEADER_BYTES)), schema: writer.schema };
    } catch (error) {
      throw new ChangeRejected([
        {
          code: 'AVRO_DECODE_FAILED',
          message: `the Avro body does not decode with schema id ${id}: ${(error as Error).message}`,
        },
      ]);
    }
  }

  private async writerFor(id: number): Promise<Writer> {
    const cached = this.writers.get(id);
    if (cached) return cached;
    const found = await this.registry.schemaById(id);
    if (!found)
      throw new ChangeRejected([
        { code: 'UNKNOWN_SCHEMA', message: `schema id ${id} is not known to the schema registry` },
      ]);
    if (found.schemaType !== undefined && found.schemaType !== 'AVRO')
      throw new ChangeRejected([
        { code: 'INCOMPATIBLE_SCHEMA', message: `schema id ${id} is a ${found.schemaType} schema, not Avro` },
      ]);
    const schema: unknown = JSON.parse(found.schema);
    // Longs beyond 2^53 decode as bigint rather than losing digits (LSNs, ids).
    const type = avro.Type.forSchema(schema as avro.Schema, {
      registry: { long: bigLong },
      // A long with attributes (Debezium's logical types: `{type: 'long', connect.name: …}`).
      typeHook: (s) =>
        typeof s === 'object' && (s as { type?: unknown }).type === 'long' ? bigLong : undefined,
    });
    const writer = { type, schema };
    this.writers.set(id, writer);
    return writer;
  }
}

/** A long as a bigint, so values beyond 2^53 keep every digit. */
export const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: unknown) => BigInt(n as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});
