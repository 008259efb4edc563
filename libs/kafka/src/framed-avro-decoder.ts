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
    let writer: Writer;
    try {
      const schema: unknown = JSON.parse(found.schema);
      writer = { type: avroWriterType(schema), schema };
    } catch (error) {
      // Bad JSON, or what Avro does not allow: most often a name (a namespace part such as a
      // topic prefix's `7b9846` or `my-db`) that does not start with a letter or `_`.
      throw new ChangeRejected([
        {
          code: 'INCOMPATIBLE_SCHEMA',
          message: `schema id ${id} is not a valid Avro schema: ${(error as Error).message}`,
        },
      ]);
    }
    this.writers.set(id, writer);
    return writer;
  }
}

/**
 * The avsc type of a writer schema as the decoder reads it: every long (plain, or with
 * attributes as Debezium's logical types have: `{type: 'long', connect.name: …}`) a bigint,
 * every float the shortest number that is the same 32-bit float.
 */
export function avroWriterType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    registry: { long: bigLong, float: shortFloat },
    typeHook: (s) => {
      const type = typeof s === 'object' ? (s as { type?: unknown }).type : undefined;
      return type === 'long' ? bigLong : type === 'float' ? shortFloat : undefined;
    },
  });
}

/**
 * The shortest decimal that reads back as the same 32-bit float: what JsonConverter writes
 * for a Connect float32 (a PostgreSQL `real`), `0.1` where the float's exact value is
 * 0.100000001490116…, so a column loads the same number from Avro as from JSON.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits));
    if (Math.fround(shorter) === value) return shorter;
  }
  return Number(value.toPrecision(9));
}

/** avsc's reader of one value of a type, which its record and array readers call (not in its typings). */
interface ValueReader {
  _read(tap: unknown): unknown;
}
const FloatType = avro.types.FloatType as unknown as new () => avro.types.FloatType & ValueReader;

/** Avro's float, read as shortestFloat32 of its value (written as any float). */
class ShortFloatType extends FloatType {
  override _read(tap: unknown): number {
    return shortestFloat32(super._read(tap) as number);
  }
}
const shortFloat = new ShortFloatType();

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
