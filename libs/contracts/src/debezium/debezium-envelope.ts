import { isFields, refuse, type Fields } from './debezium-input';

/** What one Debezium record value is, once its envelope has been read. */
export type Envelope =
  | { kind: 'skip'; reason: string }
  | { kind: 'row'; op: 'c' | 'r' | 'u'; source: Fields; after: Fields }
  | { kind: 'delete'; source: Fields; before: Fields | null }
  | { kind: 'truncate'; source: Fields };

/** Debezium's default `topic.heartbeat.prefix`. */
const HEARTBEAT_TOPIC = '__debezium-heartbeat';

/**
 * Reads a change event envelope (`{before, after, source, op, ts_ms, transaction}`), or says
 * why the record is none of tablelane's business: a heartbeat, a schema change, transaction
 * metadata, a logical decoding message. Throws ChangeRejected for anything else that is not a
 * well-formed envelope.
 */
export function readEnvelope(payload: unknown, topic: string): Envelope {
  if (!isFields(payload))
    return refuse(
      'NOT_AN_OBJECT',
      'value',
      'a Debezium record value must be a change event envelope (an object)',
    );
  const op = payload.op;
  if (op === undefined || op === null) return notAChange(payload, topic);
  if (op === 'm') return skip('a logical decoding message (op m), which changes no table');
  if (op !== 'c' && op !== 'r' && op !== 'u' && op !== 'd' && op !== 't')
    return refuse('INVALID_OP', 'op', `op must be one of c, r, u, d, t, m, not ${JSON.stringify(op)}`);
  const source = payload.source;
  if (!isFields(source))
    return refuse('NOT_AN_OBJECT', 'source', `a Debezium ${op} event needs its source block (an object)`);
  if (op === 't') return { kind: 'truncate', source };
  if (op === 'd') {
    const before = payload.before ?? null;
    if (before !== null && !isFields(before))
      return refuse('NOT_AN_OBJECT', 'before', 'a Debezium d event carries before as an object or null');
    return { kind: 'delete', source, before };
  }
  const after = payload.after;
  if (!isFields(after))
    return refuse(
      'NOT_AN_OBJECT',
      'after',
      `a Debezium ${op} event needs after, the row as it now is (an object)`,
    );
  return { kind: 'row', op, source, after };
}

/** A value without op: one of the other records a connector writes, or not Debezium's at all. */
function notAChange(payload: Fields, topic: string): Envelope {
  const keys = Object.keys(payload);
  if (topic.startsWith(HEARTBEAT_TOPIC) || (keys.length === 1 && keys[0] === 'ts_ms'))
    return skip('a heartbeat, which changes no table');
  if ('ddl' in payload || 'tableChanges' in payload)
    return skip('a schema change event, which carries no rows');
  if ((payload.status === 'BEGIN' || payload.status === 'END') && 'id' in payload)
    return skip('transaction metadata (a BEGIN or END marker), which carries no rows');
  return refuse(
    'INVALID_OP',
    'op',
    'the value has no op, so it is not a Debezium change event envelope (tablelane reads the whole envelope: remove transforms such as ExtractNewRecordState)',
  );
}

const skip = (reason: string): Envelope => ({ kind: 'skip', reason });
