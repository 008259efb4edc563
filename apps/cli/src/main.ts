import '../../../libs/kafka/src/kafkajs-read-committed';
import { loadConfigFile, runtimeSettings } from '@app/config';
import { createKafka } from '@app/kafka';
import { PostgresDestination } from '@app/warehouse';
import { tableLag } from './lag.command';
import { currentBlockers } from './locks.command';

const USAGE = `usage: tablelane <command> [--json]

  lag     lag per table lane: messages behind on its partition, checkpoint, owner, last commit
          (sink group: TABLELANE_SINK_GROUP, default tablelane-sink)
  locks   sessions holding locks that block loading into tablelane's tables (--ddl: that block DDL)

Reads the table contracts from TABLELANE_CONFIG (tablelane.yaml) and connects with the same
environment as the apps (KAFKA_BROKERS, PG*/DATABASE_URL).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  if (command !== 'lag' && command !== 'locks') {
    console.error(USAGE);
    return command === undefined || command === '--help' ? 0 : 2;
  }
  const json = flags.includes('--json');
  const config = loadConfigFile();
  const runtime = runtimeSettings();
  const destination = new PostgresDestination({
    pool: { connectionString: runtime.databaseUrl, max: 2, application_name: 'tablelane-cli' },
    stateSchema: config.warehouse.stateSchema,
    createTables: false,
    lockTimeoutMs: config.warehouse.lockTimeoutMs,
  });
  try {
    if (command === 'locks') {
      const blockers = await currentBlockers(config, destination, flags.includes('--ddl'));
      if (json) console.log(JSON.stringify(blockers, null, 2));
      else if (blockers.length === 0) console.log('no session blocks tablelane');
      else
        console.table(
          blockers.map((b) => ({
            table: b.table,
            pid: b.pid,
            user: b.user,
            application: b.application,
            state: b.state,
            mode: b.mode,
            'transaction age (s)': b.transactionAgeSeconds?.toFixed(1),
            query: b.query?.slice(0, 60),
          })),
        );
      return 0;
    }
    const admin = createKafka(runtime.kafkaBrokers, `${runtime.kafkaClientId}-cli`).admin();
    await admin.connect();
    try {
      const rows = await tableLag(
        config,
        admin,
        destination,
        process.env.TABLELANE_SINK_GROUP ?? 'tablelane-sink',
      );
      if (json) console.log(JSON.stringify(rows, null, 2));
      else console.table(rows);
    } finally {
      await admin.disconnect();
    }
    return 0;
  } finally {
    await destination.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`tablelane: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
