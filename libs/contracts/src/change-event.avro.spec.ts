import { describe, expect, it } from 'vitest';
import { fromAvroRecord, toAvroRecord } from './change-event.avro';

describe('the Avro ingest form', () => {
  it('round-trips an upsert', () => {
    const event = { table: 'public.docs', op: 'upsert', row: { id: 1 }, version: '2' } as const;
    expect(fromAvroRecord(toAvroRecord(event))).toEqual(event);
  });

  it('refuses the CDC shapes rather than dropping what they say', () => {
    expect(() => toAvroRecord({ table: 'public.docs', op: 'truncate', version: 1 })).toThrow(/truncate/);
    expect(() =>
      toAvroRecord({ table: 'public.docs', op: 'upsert', row: { id: 1 }, unchanged: ['body'] }),
    ).toThrow(/unchanged or movedFrom/);
    expect(() =>
      toAvroRecord({ table: 'public.docs', op: 'upsert', row: { id: 2 }, movedFrom: { id: 1 } }),
    ).toThrow(/unchanged or movedFrom/);
  });
});
