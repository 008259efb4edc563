import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const KAFKA = 'Only libs/kafka may import the Kafka client; use what @app/kafka exports.';
const PG = 'Only libs/warehouse may import the PostgreSQL client; use what @app/warehouse exports.';
const OTHER_APP = 'Apps never import other apps; share the code through a lib.';
const LIB_TO_APP = 'Libs never import apps: apps use libs, not the reverse.';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** ESLint prefixes the rule's message with the import it restricts. */
const rejectedWith = (message: string) => [expect.stringContaining(message)];

/** The dependency-rule messages ESLint reports for a source, as if it were at `filePath`. */
async function rejections(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: resolve(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('dependency rules in eslint.config.mjs (npm run lint)', () => {
  const inSink = 'apps/sink/src/consumer/new-module.ts';

  it('rejects the Kafka client outside libs/kafka', async () => {
    expect(
      await rejections(inSink, "import { Kafka } from 'kafkajs';\nexport const client = Kafka;\n"),
    ).toEqual(rejectedWith(KAFKA));
    expect(
      await rejections(
        inSink,
        "import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';\nexport type R = SchemaRegistry;\n",
      ),
    ).toEqual(rejectedWith(KAFKA));
  });

  it('rejects the PostgreSQL client outside libs/warehouse', async () => {
    expect(await rejections(inSink, "import { Pool } from 'pg';\nexport const pool = Pool;\n")).toEqual(
      rejectedWith(PG),
    );
    expect(
      await rejections(inSink, "import { from } from 'pg-copy-streams';\nexport const copy = from;\n"),
    ).toEqual(rejectedWith(PG));
  });

  it('rejects an import of another app, relative or by its apps/ path', async () => {
    for (const path of ['../../../router/src/lanes/lane-baseline', '../../../../apps/cli/src/lag.command']) {
      expect(
        await rejections(inSink, `import * as other from '${path}';\nexport const o = other;\n`),
        path,
      ).toEqual(rejectedWith(OTHER_APP));
    }
  });

  it('rejects an app imported by a lib, and pg in libs/kafka', async () => {
    const inLib = 'libs/kafka/src/new-module.ts';
    expect(
      await rejections(
        inLib,
        "import * as sink from '../../../apps/sink/src/main';\nexport const s = sink;\n",
      ),
    ).toEqual(rejectedWith(LIB_TO_APP));
    expect(await rejections(inLib, "import { Pool } from 'pg';\nexport const pool = Pool;\n")).toEqual(
      rejectedWith(PG),
    );
  });

  it('rejects the Kafka client in every app and script, with no file excepted', async () => {
    // These imported kafkajs before the Kafka port existed; the rule now holds for all of them.
    for (const path of [
      'apps/sink/src/consumer/intake.ts',
      'apps/sink/src/consumer/sink-runner.ts',
      'apps/router/src/router.service.ts',
      'apps/cli/src/main.ts',
      'scripts/bench/commit-latency.ts',
      'scripts/pipeline/local-pipeline.ts',
    ]) {
      expect(
        await rejections(path, "import type { Consumer } from 'kafkajs';\nexport type C = Consumer;\n"),
        path,
      ).toEqual(rejectedWith(KAFKA));
    }
  });

  it('passes a module that uses libs through @app/* and its own app by relative path', async () => {
    const clean = [
      "import { readPartitionLag, type KafkaAdmin } from '@app/kafka';",
      "import type { Lane } from '../lane/lane';",
      'export const probe = (admin: KafkaAdmin, lane: Lane) => readPartitionLag(admin, String(lane.partition), "t");',
      '',
    ].join('\n');
    const [result] = await eslint.lintText(clean, { filePath: resolve(ROOT, inSink) });
    expect(result!.messages).toEqual([]);
    // The owners may use their clients.
    expect(
      await rejections(
        'libs/kafka/src/new-module.ts',
        "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n",
      ),
    ).toEqual([]);
    expect(
      await rejections(
        'libs/warehouse/src/new-module.ts',
        "import { Pool } from 'pg';\nexport const p = Pool;\n",
      ),
    ).toEqual([]);
  });
});
