import { describe, expect, it } from 'vitest';
import { fieldSchema, structFields, unwrapJsonConverter, type ConnectSchema } from './connect-schema';

const KEY_SCHEMA: ConnectSchema = {
  type: 'struct',
  optional: false,
  name: 'shop.public.items.Key',
  fields: [{ type: 'int32', optional: false, field: 'id' }],
};

describe('unwrapJsonConverter', () => {
  it('splits schemas.enable=true into schema and payload', () => {
    expect(unwrapJsonConverter({ schema: KEY_SCHEMA, payload: { id: 7 } })).toEqual({
      schema: KEY_SCHEMA,
      payload: { id: 7 },
    });
  });

  it('takes schemas.enable=false as the bare payload', () => {
    expect(unwrapJsonConverter({ id: 7 })).toEqual({ payload: { id: 7 } });
    expect(unwrapJsonConverter(null)).toEqual({ payload: null });
  });

  it('reads a null schema as none', () => {
    expect(unwrapJsonConverter({ schema: null, payload: null })).toEqual({ payload: null });
  });

  it('does not take a row with columns named schema and payload for an envelope', () => {
    const row = { schema: 'public', payload: 'x' };
    expect(unwrapJsonConverter(row)).toEqual({ payload: row });
    const wider = { schema: KEY_SCHEMA, payload: 1, other: 2 };
    expect(unwrapJsonConverter(wider)).toEqual({ payload: wider });
  });
});

describe('fieldSchema', () => {
  it("finds a struct field's schema by name", () => {
    expect(fieldSchema(KEY_SCHEMA, 'id')).toEqual({ type: 'int32', optional: false, field: 'id' });
    expect(fieldSchema(KEY_SCHEMA, 'other')).toBeUndefined();
    expect(fieldSchema(undefined, 'id')).toBeUndefined();
    expect(fieldSchema({ type: 'string' }, 'id')).toBeUndefined();
  });
});

describe('structFields', () => {
  it('skips what is not a field schema in an embedded (untrusted) schema', () => {
    const damaged = { type: 'struct', fields: [null, 7, { type: 'int32' }, { type: 'int32', field: 'id' }] };
    expect(structFields(damaged as unknown as ConnectSchema)).toEqual([{ type: 'int32', field: 'id' }]);
    expect(structFields({ type: 'struct' })).toEqual([]);
  });
});
