import { parseConfig, runtimeSettings, type TableContract } from '@app/config';
import { buildWarehouse, isTransient, type Destination } from '@app/warehouse';
import { describe, expect, it, onTestFinished } from 'vitest';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testConnection } from '../support/postgres';

const SINKS = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 12);

/**
 * Sinks of one group start together (a deployment, a restart of every pod) and each prepares
 * the same state tables with CREATE … IF NOT EXISTS. PostgreSQL lets the losers of that race fail
 * with a catalog error (23505 on pg_type, 42P07, or 42710 `type "…" already exists`): each must
 * be retriable, or a sink fails to start for a race its next attempt would not meet. Here the
 * race is met every round as 23505; 42710 was seen once in the demo (two sinks, five tables) and
 * not reproduced by this loop: the unit spec of the classifier covers it.
 */
describe('sinks preparing the same state tables at once', () => {
  it('meets only retriable catalog races, and every sink is ready after a retry', async () => {
    const { host, port, user, database } = testConnection();
    const env = { DATABASE_URL: `postgres://${user}@${host}:${port}/${database}` };
    const sinks: Destination[] = Array.from({ length: SINKS }, () => {
      const { destination } = buildWarehouse(
        parseConfig({ tables: [{ name: 'race.t', columns: { id: 'bigint' }, primaryKey: ['id'] }] }),
        runtimeSettings(env),
        env,
        { applicationName: 'tablelane-race-test', maxConnections: 2 },
      );
      onTestFinished(() => destination.close());
      return destination;
    });
    const permanent: string[] = [];
    const races = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const schema = uniqueName('race');
      dropSchemasAfterTest(schema, `${schema}_tl`);
      const contract = parseConfig({
        warehouse: { stateSchema: `${schema}_tl` },
        tables: [{ name: `${schema}.t`, columns: { id: 'bigint' }, primaryKey: ['id'] }],
      }).tables[0] as TableContract;
      // Starts a few milliseconds apart, as pods do: a loser may then find the winner's table
      // committed between its own existence check and its CREATE (42710), not only at once (23505).
      const results = await Promise.allSettled(
        sinks.map((sink, i) => sleep((i * round) % 7).then(() => sink.prepareState(contract))),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') continue;
        const code = String((result.reason as { code?: string }).code);
        races.set(code, (races.get(code) ?? 0) + 1);
        if (!isTransient(result.reason))
          permanent.push(`${(result.reason as { code?: string }).code}: ${(result.reason as Error).message}`);
      }
      // The losers' next attempt finds the tables there.
      await Promise.all(sinks.map((sink) => sink.prepareState(contract)));
    }
    expect(permanent).toEqual([]);
    // Say how often the race was met, so a run that never met it is visible as such.
    console.log(
      `catalog races met in ${ROUNDS} rounds of ${SINKS} sinks: ${JSON.stringify(Object.fromEntries(races))}`,
    );
  });
});
