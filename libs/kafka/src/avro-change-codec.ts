import {
  CHANGE_EVENT_AVRO_NAME,
  CHANGE_EVENT_AVRO_SCHEMA,
  ChangeRejected,
  fromAvroRecord,
  toAvroRecord,
  type AvroChangeRecord,
  type ChangeEvent,
} from '@app/contracts';
import avro from 'avsc';
import {
  HttpSchemaRegistry,
  type RegistryConnection,
  type SchemaRegistryPort,
} from './schema-registry-client';

/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian int. */
const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** True when bytes start like a Confluent-framed Avro value (JSON never starts with 0x00). */
export function looksAvroFramed(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0] === MAGIC_BYTE;
}

/** What a decoder puts where bytes were not UTF-8 (avsc decodes strings leniently). */
const REPLACEMENT = '\uFFFD';

/**
 * avsc replaces invalid UTF-8 in strings with U+FFFD without a word. Only when a decoded
 * string holds U+FFFD (rare), decode with the writer schema and encode again: the same bytes
 * come back unless a replacement happened, which would load text the producer never sent.
 */
function assertStrictUtf8(writer: avro.Type, payload: Buffer): void {
  if (writer.toBuffer(writer.fromBuffer(payload)).equals(payload)) return;
  throw new ChangeRejected([
    { code: 'INVALID_UTF8', message: 'a string of the Avro body is not valid UTF-8' },
  ]);
}

type Reader =
  | { ok: true; read: (payload: Buffer) => AvroChangeRecord; writer: avro.Type }
  | { ok: false; reason: string };

/**
 * Encodes and decodes change events in the Avro form through the schema registry. Writer
 * schemas are resolved into our reader schema, so a producer on an older or newer
 * compatible ChangeEvent schema still decodes.
 */
export class AvroChangeCodec {
  private readonly readerType = avro.Type.forSchema(CHANGE_EVENT_AVRO_SCHEMA as unknown as avro.Schema);
  private readonly readers = new Map<number, Reader>();
  private registration?: Promise<number>;

  constructor(
    private readonly registry: SchemaRegistryPort,
    private readonly subject: string,
  ) {}

  static connect(registry: string | RegistryConnection, subject: string): AvroChangeCodec {
    return new AvroChangeCodec(new HttpSchemaRegistry(registry), subject);
  }

  /** Registers the schema under the subject once (idempotent in the registry) and caches the id. */
  schemaId(): Promise<number> {
    this.registration ??= this.registry
      .register(this.subject, CHANGE_EVENT_AVRO_SCHEMA)
      .catch((error: unknown) => {
        this.registration = undefined;
        throw error;
      });
    return this.registration;
  }

  async encode(event: ChangeEvent): Promise<Buffer> {
    const id = await this.schemaId();
    const body = this.readerType.toBuffer(toAvroRecord(event));
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, body]);
  }

  /**
   * Decodes a framed value into the JSON form of the event. Throws ChangeRejected for bad
   * bytes or an id the registry does not know (the record is at fault), RegistryUnavailable
   * when the registry cannot be asked (nothing is known about the record yet).
   */
  async decode(bytes: Buffer): Promise<Record<string, unknown>> {
    if (bytes[0] !== MAGIC_BYTE) {
      throw new ChangeRejected([
        {
          code: 'BAD_MAGIC_BYTE',
          message: `not in the Avro wire format: the magic byte is ${bytes[0]}, not 0`,
        },
      ]);
    }
    if (bytes.length < HEADER_BYTES) {
      throw new ChangeRejected([
        {
          code: 'AVRO_DECODE_FAILED',
          message: `not in the Avro wire format (magic byte 0 and a 4-byte schema id); got ${bytes.length} bytes`,
        },
      ]);
    }
    const id = bytes.readInt32BE(1);
    const reader = await this.readerFor(id);
    if (!reader.ok) throw new ChangeRejected([{ code: 'INCOMPATIBLE_SCHEMA', message: reader.reason }]);
    const payload = bytes.subarray(HEADER_BYTES);
    let record: AvroChangeRecord;
    try {
      record = reader.read(payload);
    } catch (error) {
      throw new ChangeRejected([
        {
          code: 'AVRO_DECODE_FAILED',
          message: `the Avro body does not decode with schema id ${id}: ${(error as Error).message}`,
        },
      ]);
    }
    if (Object.values(record).some((v) => typeof v === 'string' && v.includes(REPLACEMENT)))
      assertStrictUtf8(reader.writer, payload);
    return fromAvroRecord(record);
  }

  private async readerFor(id: number): Promise<Reader> {
    const cached = this.readers.get(id);
    if (cached) return cached;
    // Throws RegistryUnavailable when the registry cannot be asked: nothing is known yet.
    const found = await this.registry.schemaById(id);
    if (!found)
      throw new ChangeRejected([
        { code: 'UNKNOWN_SCHEMA', message: `schema id ${id} is not known to the schema registry` },
      ]);
    let reader: Reader;
    try {
      if (found.schemaType !== undefined && found.schemaType !== 'AVRO')
        throw new Error(`it is a ${found.schemaType} schema, not Avro`);
      const writer = avro.Type.forSchema(JSON.parse(found.schema) as avro.Schema);
      const resolver = this.readerType.createResolver(writer);
      reader = {
        ok: true,
        writer,
        read: (payload) => this.readerType.fromBuffer(payload, resolver) as AvroChangeRecord,
      };
    } catch (error) {
      reader = {
        ok: false,
        reason: `schema id ${id} cannot be read as ${CHANGE_EVENT_AVRO_NAME}: ${(error as Error).message}`,
      };
    }
    this.readers.set(id, reader);
    return reader;
  }
}
