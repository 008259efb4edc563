import { parseConfig, runtimeSettings, type TablelaneConfig } from '@app/config';
import { afterEach, describe, expect, it } from 'vitest';
import type { Destination } from './destination.port';
import { UnknownWarehouseKind } from './errors';
import { PostgresDestination } from './postgres/postgres-destination';
import { postgresValueRules } from './postgres/postgres-value-rules';
import { RedshiftDestination } from './redshift/redshift-destination';
import { redshiftValueRules } from './redshift/redshift-value-rules';
import { PLAIN_CSV_STAGING } from './staging-format';
import { buildWarehouse } from './warehouse-registry';

const configOf = (kind: string): TablelaneConfig => {
  const config = parseConfig({
    tables: [{ name: 'app.items', columns: { id: 'bigint' }, primaryKey: ['id'] }],
  });
  return { ...config, warehouse: { ...config.warehouse, kind } as TablelaneConfig['warehouse'] };
};
const redshiftEnv = {
  REDSHIFT_URL: 'postgres://u:secret@127.0.0.1:1/db',
  REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/load',
};
const options = { applicationName: 'spec', maxConnections: 1 };
const uriOf = (key: string) => `s3://b/${key}`;
const rows = [{ values: ['1'], op: 'u' as const }];

describe('buildWarehouse', () => {
  const built: Destination[] = [];
  afterEach(async () => Promise.all(built.splice(0).map((d) => d.close())));

  it('builds PostgreSQL with plain CSV staging and its value rules', () => {
    const warehouse = buildWarehouse(configOf('postgres'), runtimeSettings({}), {}, options);
    built.push(warehouse.destination);
    expect(warehouse.destination).toBeInstanceOf(PostgresDestination);
    expect(warehouse.stagingFormat).toBe(PLAIN_CSV_STAGING);
    expect(warehouse.valueRules).toBe(postgresValueRules);
  });

  it('builds Redshift with its gzip staging (and manifest), its value rules, masked settings', () => {
    const env = { ...redshiftEnv, REDSHIFT_MANIFEST: 'true' };
    const warehouse = buildWarehouse(configOf('redshift'), runtimeSettings({}), env, options);
    built.push(warehouse.destination);
    expect(warehouse.destination).toBeInstanceOf(RedshiftDestination);
    expect(warehouse.valueRules).toBe(redshiftValueRules);
    const layout = warehouse.stagingFormat.layout('s/t/c/0/1-2.csv', rows, uriOf);
    expect(layout.objects.map((o) => o.key)).toEqual(['s/t/c/0/1-2.csv.gz', 's/t/c/0/1-2.manifest']);
    expect(layout).toMatchObject({ dataKey: 's/t/c/0/1-2.csv.gz', loadUri: 's3://b/s/t/c/0/1-2.manifest' });
    expect(JSON.stringify(warehouse.settings)).not.toContain('secret');
  });

  it("connects to PostgreSQL with DATABASE_URL's sslmode, or PGSSLMODE, and shows the TLS settings", () => {
    const url = 'postgres://u:secret@127.0.0.1:1/db';
    const required = buildWarehouse(
      configOf('postgres'),
      runtimeSettings({ DATABASE_URL: `${url}?sslmode=require` }),
      { PGSSLMODE: 'verify-full' },
      options,
    );
    built.push(required.destination);
    expect(required.settings).toEqual({
      tls: { sslmode: 'require', from: 'DATABASE_URL', verifies: 'nothing' },
    });
    const plain = buildWarehouse(configOf('postgres'), runtimeSettings({ DATABASE_URL: url }), {}, options);
    built.push(plain.destination);
    expect(plain.settings).toEqual({ tls: { sslmode: 'disable', from: 'the default' } });
    expect(() =>
      buildWarehouse(
        configOf('postgres'),
        runtimeSettings({ DATABASE_URL: url }),
        { PGSSLMODE: 'prefer' },
        options,
      ),
    ).toThrow(/sslmode=prefer \(PGSSLMODE\) is refused: it falls back to an unencrypted connection/);
  });

  it('stages plain CSV under the staging key itself', () => {
    const layout = PLAIN_CSV_STAGING.layout('s/t/c/0/1-2.csv', rows, uriOf);
    expect(layout).toMatchObject({ dataKey: 's/t/c/0/1-2.csv', loadUri: 's3://b/s/t/c/0/1-2.csv' });
    expect(layout.objects).toHaveLength(1);
  });

  it('refuses a kind it has no entry for, naming the kinds it has', () => {
    expect(() => buildWarehouse(configOf('snowflake'), runtimeSettings({}), {}, options)).toThrow(
      'warehouse.kind "snowflake" is not a warehouse tablelane can load; use one of postgres, redshift',
    );
    expect(() => buildWarehouse(configOf('toString'), runtimeSettings({}), {}, options)).toThrow(/toString/);
    expect(() => buildWarehouse(configOf('snowflake'), runtimeSettings({}), {}, options)).toThrow(
      UnknownWarehouseKind,
    );
  });
});
