// The router harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  ROOT,
  routerEnv,
  startApp,
  testKafka,
  unique,
  deleteSubject,
  type AppProcess,
} from '../../router/support/harness';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { stackEnv, uniqueName } from '../../support/env';
import { dropSchemasAfterTest } from '../../support/postgres';
import { startSink, type SinkProcess } from '../../support/sink-process';

const run = promisify(execFile);
const CLI = join(ROOT, 'dist/apps/cli/src/main.js');

/** Topics, groups, schemas and config files of one test; all removed when it finishes. */
export interface CliPipeline {
  base: string;
  topics: { ingest: string; changes: string; dlq: string };
  /** Target schema of the tables, and the sinks' state schema. */
  schema: string;
  stateSchema: string;
  /** Writes a contracts file for these topics (with `extra` top-level keys, e.g. `cdc`); returns its path. */
  writeConfig(tables: object[], extra?: object): string;
  /** Runs the built CLI with the stack's environment and the contracts file. */
  cli(
    configPath: string,
    args: string[],
    extraEnv?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `tablelane topics create` with these partition counts; throws with its output unless it exits 0. */
  createTopics(configPath: string, partitions: { ingest: number; changes: number }): Promise<void>;
  /** Runs the CLI with --json; throws with its stderr unless it exits 0. */
  cliJson<T = unknown>(configPath: string, args: string[]): Promise<T>;
  startRouter(configPath: string): AppProcess;
  /** `extraEnv` is added to this sink's environment (a heap limit, say). */
  startSink(configPath: string, extraEnv?: Record<string, string>): SinkProcess;
}

/** `env` is added to the stack's settings of every process: the CLI, routers and sinks. */
export function cliPipeline(prefix: string, env: Record<string, string> = {}): CliPipeline {
  const base = unique(prefix);
  const topics = { ingest: `${base}.ingest`, changes: `${base}.changes`, dlq: `${base}.dlq` };
  const schema = uniqueName(prefix.replace(/\W/g, '_'));
  const stateSchema = `${schema}_tl`;
  const dir = mkdtempSync(join(tmpdir(), 'tablelane-cli-'));
  dropSchemasAfterTest(schema, stateSchema);
  onTestFinished(async () => {
    rmSync(dir, { recursive: true, force: true });
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(base));
    await admin.deleteTopics({ topics: ours }).catch(() => undefined);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(base));
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    await deleteSubject(`${topics.ingest}-value`);
  });
  let files = 0;
  const routerTopics = { base, ...topics };
  return {
    base,
    topics,
    schema,
    stateSchema,
    writeConfig(tables, extra = {}) {
      const path = join(dir, `tablelane-${files++}.yaml`);
      writeFileSync(path, stringify({ topics, warehouse: { stateSchema }, tables, ...extra }));
      return path;
    },
    async cli(configPath, args, extraEnv = {}) {
      try {
        const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
          // The CLI asks about this pipeline's sinks (lag), as the sinks it starts are named.
          env: {
            ...process.env,
            ...stackEnv,
            TABLELANE_SINK_GROUP: `${base}.sink`,
            ...env,
            ...extraEnv,
            TABLELANE_CONFIG: configPath,
          },
          timeout: 120_000,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        if (typeof failed.code !== 'number') throw error;
        return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      }
    },
    async createTopics(configPath, partitions) {
      const created = await this.cli(configPath, [
        'topics',
        'create',
        '--ingest-partitions',
        String(partitions.ingest),
        '--changes-partitions',
        String(partitions.changes),
      ]);
      if (created.code !== 0)
        throw new Error(`tablelane topics create exited ${created.code}: ${created.stdout}${created.stderr}`);
    },
    async cliJson(configPath, args) {
      const result = await this.cli(configPath, [...args, '--json']);
      if (result.code !== 0)
        throw new Error(
          `tablelane ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`,
        );
      return JSON.parse(result.stdout);
    },
    startRouter(configPath) {
      return startApp('router', { ...routerEnv(configPath, routerTopics), ...env });
    },
    startSink(configPath, extraEnv = {}) {
      return startSink(configPath, {
        TABLELANE_SINK_GROUP: `${base}.sink`,
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
        ...env,
        ...extraEnv,
      });
    },
  };
}
