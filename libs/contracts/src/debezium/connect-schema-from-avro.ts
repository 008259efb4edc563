import type { ConnectSchema, ConnectType } from './connect-schema';
import { isFields, refuse, type Fields } from './debezium-input';

// Maps, not object literals: a type name in the schema could be `constructor`.
const PRIMITIVES = new Map<unknown, ConnectType>([
  ['int', 'int32'],
  ['long', 'int64'],
  ['float', 'float'],
  ['double', 'double'],
  ['boolean', 'boolean'],
  ['string', 'string'],
  ['bytes', 'bytes'],
]);

/**
 * Avro's own logical types, for a writer that left out Connect's properties
 * (`connect.meta.data=false`): each read as the Connect or Debezium type of the same value.
 */
const AVRO_LOGICAL = new Map<unknown, string>([
  ['decimal', 'org.apache.kafka.connect.data.Decimal'],
  ['date', 'org.apache.kafka.connect.data.Date'],
  ['time-millis', 'org.apache.kafka.connect.data.Time'],
  ['time-micros', 'io.debezium.time.MicroTime'],
  ['timestamp-millis', 'org.apache.kafka.connect.data.Timestamp'],
  ['timestamp-micros', 'io.debezium.time.MicroTimestamp'],
]);

/**
 * The Connect schema an Avro writer schema was made from, as Confluent's and Apicurio's
 * AvroConverter write it: `connect.name` is the Connect name (the logical type, such as
 * `io.debezium.time.MicroTimestamp`), `connect.parameters` its parameters (a Decimal's
 * `scale`), `connect.type` an int8 or int16 carried as an Avro int. A union with null is an
 * optional field, and a named type used again (the envelope's `after: ["null", "Value"]`) is
 * looked up by name. Throws ChangeRejected (INCOMPATIBLE_SCHEMA) for what Connect never writes.
 * A writer schema object is converted once: a decoder that caches its writers (one object per
 * schema id) gets the same ConnectSchema for every record, which callers must not change.
 */
export function connectSchemaFromAvro(avro: unknown): ConnectSchema {
  const cached = typeof avro === 'object' && avro !== null ? converted.get(avro) : undefined;
  if (cached) return cached;
  const schema = read(avro, undefined, new Map());
  if (typeof avro === 'object' && avro !== null) converted.set(avro, schema);
  return schema;
}

const converted = new WeakMap<object, ConnectSchema>();

function read(
  node: unknown,
  namespace: string | undefined,
  named: Map<string, ConnectSchema>,
): ConnectSchema {
  if (typeof node === 'string')
    return PRIMITIVES.has(node) ? { type: PRIMITIVES.get(node)! } : lookUp(node, namespace, named);
  if (Array.isArray(node)) {
    const branches = node.filter((branch) => branch !== 'null');
    if (branches.length !== 1)
      return unsupported(`a union of ${brief(node)} (Connect writes only [null, T])`);
    return { ...read(branches[0], namespace, named), optional: true };
  }
  if (!isFields(node)) return unsupported(`${brief(node)} as a type`);
  const type = node.type;
  if (type === 'record' || type === 'error') return record(node, namespace, named);
  if (type === 'array')
    return withConnect({ type: 'array', items: read(node.items, namespace, named) }, node);
  if (type === 'map')
    return withConnect(
      { type: 'map', keys: { type: 'string' }, values: read(node.values, namespace, named) },
      node,
    );
  if (type === 'enum' || type === 'fixed') {
    const schema = withConnect({ type: type === 'enum' ? 'string' : 'bytes' }, node);
    named.set(fullName(node, namespace), schema);
    return schema;
  }
  if (PRIMITIVES.has(type)) return primitive(PRIMITIVES.get(type)!, node);
  // `{"type": {...}}`: a type written inside another object.
  return read(type, namespace, named);
}

function record(
  node: Fields,
  namespace: string | undefined,
  named: Map<string, ConnectSchema>,
): ConnectSchema {
  const name = fullName(node, namespace);
  const schema = withConnect({ type: 'struct', name, fields: [] }, node);
  // Registered before its fields are read, so a field may name the record it is in.
  named.set(name, schema);
  if (!Array.isArray(node.fields)) return unsupported(`record ${name} without a list of fields`);
  const inner = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : undefined;
  for (const field of node.fields) {
    if (!isFields(field) || typeof field.name !== 'string')
      return unsupported(`a field of record ${name} without a name`);
    schema.fields!.push({ ...read(field.type, inner, named), field: field.name });
  }
  return schema;
}

function primitive(type: ConnectType, node: Fields): ConnectSchema {
  const connectType = node['connect.type'];
  const schema = withConnect(
    { type: connectType === 'int8' || connectType === 'int16' ? connectType : type },
    node,
  );
  const logical = AVRO_LOGICAL.get(node.logicalType);
  if (schema.name === undefined && logical) {
    schema.name = logical;
    if (node.logicalType === 'decimal') schema.parameters = { scale: String(node.scale ?? 0) };
  }
  return schema;
}

/** The schema with the Connect properties the node carries: its name, version and parameters. */
function withConnect(schema: ConnectSchema, node: Fields): ConnectSchema {
  if (typeof node['connect.name'] === 'string') schema.name = node['connect.name'];
  if (typeof node['connect.version'] === 'number') schema.version = node['connect.version'];
  const parameters = node['connect.parameters'];
  if (isFields(parameters))
    schema.parameters = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)]));
  return schema;
}

function fullName(node: Fields, namespace: string | undefined): string {
  const name = node.name;
  if (typeof name !== 'string') return unsupported(`a named type without a name: ${brief(node)}`);
  if (name.includes('.')) return name;
  const space = typeof node.namespace === 'string' ? node.namespace : namespace;
  return space ? `${space}.${name}` : name;
}

function lookUp(
  name: string,
  namespace: string | undefined,
  named: Map<string, ConnectSchema>,
): ConnectSchema {
  // A bare name is looked up in the enclosing namespace first, as Avro resolves it.
  const found = (namespace ? named.get(`${namespace}.${name}`) : undefined) ?? named.get(name);
  return found ?? unsupported(`type ${name}, which the schema does not define before using it`);
}

/** A schema part for a message, cut short: a union may hold a whole record. */
function brief(node: unknown): string {
  const text = JSON.stringify(node) ?? String(node);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function unsupported(what: string): never {
  return refuse('INCOMPATIBLE_SCHEMA', undefined, `the Avro writer schema has ${what}`);
}
