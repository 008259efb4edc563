import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  ConfigError,
  isTablelaneErrorCode,
  TABLELANE_ERROR_CODES,
  TablelaneError,
  type ErrorCode,
} from '@app/config';
import { ChangeRejected } from '@app/contracts';
import {
  GroupMembershipLost,
  KafkaConnectionRefused,
  RegistryRefused,
  RegistryUnavailable,
  ReplayFailed,
  TopicPlanError,
  SnapshotFenced,
  TopicScanTimeout,
  type PipelineRecord,
} from '@app/kafka';
import { TablelaneValidationError } from '@app/sdk';
import {
  AuroraImportUnexpectedAnswer,
  CheckpointNotAdvancing,
  DuplicateCheckpointRows,
  FencedError,
  RedshiftCopyFailed,
  SnapshotSourceUnreadable,
  StagedUriUnusable,
  StagingCountMismatch,
  UnknownWarehouseKind,
  WarehouseFailure,
  WarehouseTlsRefused,
} from '@app/warehouse';
import { describe, expect, it } from 'vitest';
import { MissingTopics } from '@app/cli/require-topics';
import { UsageError } from '@app/cli/cli-args';
import { ApiKeyConfigError } from '@app/producer/auth/api-keys';
import { PayloadTooLarge, RequestAborted } from '@app/producer/ingest/read-body';
import { LanesChangedError } from '@app/router/lanes/lane-baseline';
import { ContractGapHeld } from '@app/router/routing/contract-hold';
import { PayloadStoreUnavailable } from '@app/router/routing/fit-to-topics';
import { ChangeHeld, NotLaneOwner } from '@app/sink/consumer/intake';
import { LockPolicyFailure } from '@app/sink/locks/lock-watch';
import { SnapshotRefused, SnapshotRowRejected, SnapshotStopped } from '@app/cli/snapshot/snapshot-errors';

/**
 * tablelane's one error model (issue 14): every error class in apps/, libs/ and scripts/ extends
 * TablelaneError and carries a code from the fixed list in libs/config/src/tablelane-error.ts.
 * The class list is read from the sources, so a new error class fails here until it extends
 * TablelaneError and is given an example below. (A suite under test/ because it imports every
 * app, which the dependency rules forbid to a spec inside one.)
 */
const ROOT = resolve(__dirname, '../..');

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
const record = { topic: 'tablelane.ingest', partition: 0, offset: '7', key: null, value: null, headers: {} };
const cause = new Error('the cause');

/** One instance of every concrete error class, by class name. */
const EXAMPLES: Record<string, () => TablelaneError> = {
  ConfigError: () => new ConfigError('tablelane.yaml', ['a problem'], { cause }),
  ChangeRejected: () => new ChangeRejected([{ code: 'UNKNOWN_TABLE', message: 'no such table' }]),
  TopicPlanError: () => new TopicPlanError('too few partitions'),
  RegistryUnavailable: () => new RegistryUnavailable('down', { cause }),
  RegistryRefused: () => new RegistryRefused('incompatible', 409),
  ReplayFailed: () => new ReplayFailed('fenced', { cause }),
  TopicScanTimeout: () => new TopicScanTimeout('no end in sight'),
  GroupMembershipLost: () => new GroupMembershipLost('tablelane-sink', { cause }),
  KafkaConnectionRefused: () => new KafkaConnectionRefused('untrusted broker certificate', { cause }),
  TablelaneValidationError: () => new TablelaneValidationError([]),
  UnknownWarehouseKind: () => new UnknownWarehouseKind('snowflake', ['postgres', 'redshift']),
  FencedError: () => new FencedError('public.t', 0, 1),
  CheckpointNotAdvancing: () => new CheckpointNotAdvancing('public.t', 0, 5, 5),
  StagingCountMismatch: () => new StagingCountMismatch('public.t', 2, 1),
  DuplicateCheckpointRows: () => new DuplicateCheckpointRows('public.t', 0, 2),
  StagedUriUnusable: () => new StagedUriUnusable('public.t', 'not staged'),
  AuroraImportUnexpectedAnswer: () => new AuroraImportUnexpectedAnswer('oops'),
  WarehouseFailure: () => new WarehouseFailure({ code: 'CONNECTION_LOST', retriable: true }, cause),
  WarehouseTlsRefused: () => new WarehouseTlsRefused('untrusted certificate', { cause }),
  RedshiftCopyFailed: () => new RedshiftCopyFailed('public.t', 'COPY ...', new Error('gone'), true),
  MissingTopics: () => new MissingTopics(['tablelane.changes']),
  UsageError: () => new UsageError('unknown option --x'),
  ApiKeyConfigError: () => new ApiKeyConfigError('not valid JSON', { cause }),
  PayloadTooLarge: () => new PayloadTooLarge(1024),
  RequestAborted: () => new RequestAborted(),
  LanesChangedError: () => new LanesChangedError('tablelane.changes', ['a reason']),
  ContractGapHeld: () => new ContractGapHeld(record as PipelineRecord, 'unknown column', 1500),
  PayloadStoreUnavailable: () => new PayloadStoreUnavailable('dead-letters/k', cause),
  ChangeHeld: () => new ChangeHeld(0, 'unknown table'),
  NotLaneOwner: () => new NotLaneOwner(0),
  LockPolicyFailure: () => new LockPolicyFailure('public.t', []),
  SnapshotRefused: () => new SnapshotRefused('a snapshot of public.t is running'),
  SnapshotStopped: () => new SnapshotStopped('stopped by a signal', 'SNAPSHOT_INTERRUPTED', true),
  SnapshotRowRejected: () =>
    new SnapshotRowRejected('INVALID_VALUE', 'public.t', '{"id":"1"}', 'not a number'),
  SnapshotFenced: () => new SnapshotFenced('public.t', cause),
  SnapshotSourceUnreadable: () => new SnapshotSourceUnreadable('COPY output ended inside a row'),
};

/** Classes whose code is the one the warehouse reported (a SQLSTATE), carried unchanged. */
const REPORTED_CODES: Record<string, () => TablelaneError> = {
  WarehouseFailure: () => new WarehouseFailure({ code: '23505' as ErrorCode, retriable: false }, cause),
  RedshiftCopyFailed: () => new RedshiftCopyFailed('public.t', 'COPY ...', pgError('XX000', '1023')),
};

interface DeclaredClass {
  name: string;
  parent: string;
  file: string;
  exported: boolean;
  abstract: boolean;
}

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

/** Every `class X extends Y` declared in the shipped sources. */
function declaredClasses(): DeclaredClass[] {
  const found: DeclaredClass[] = [];
  const pattern = /^(export\s+)?(abstract\s+)?class\s+(\w+)(?:<[^>{]*>)?\s+extends\s+([\w.]+)/gm;
  for (const folder of ['apps', 'libs', 'scripts'])
    for (const path of sources(join(ROOT, folder)))
      for (const match of readFileSync(path, 'utf8').matchAll(pattern))
        found.push({
          name: match[3]!,
          parent: match[4]!,
          file: relative(ROOT, path),
          exported: Boolean(match[1]),
          abstract: Boolean(match[2]),
        });
  return found;
}

const BUILTIN_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AggregateError']);

describe('one error model', () => {
  const declared = declaredClasses();
  const byName = new Map(declared.map((c) => [c.name, c]));
  const ancestors = (c: DeclaredClass): string[] => {
    const chain: string[] = [];
    for (let parent: string | undefined = c.parent; parent && chain.length < 20;) {
      chain.push(parent);
      parent = byName.get(parent)?.parent;
    }
    return chain;
  };
  const errorClasses = declared.filter((c) => ancestors(c).includes('TablelaneError'));

  it('has only TablelaneError extend a built-in error', () => {
    const direct = declared.filter((c) => BUILTIN_ERRORS.has(c.parent)).map((c) => `${c.name} (${c.file})`);
    expect(direct).toEqual(['TablelaneError (libs/config/src/tablelane-error.ts)']);
  });

  it('gives every concrete error class an example here, and no other', () => {
    const concrete = errorClasses.filter((c) => !c.abstract).map((c) => c.name);
    expect(errorClasses.filter((c) => !c.exported).map((c) => c.name)).toEqual([]);
    expect([...concrete].sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.entries(EXAMPLES))(
    '%s is a TablelaneError with a code from the union, retriable, and its name',
    (name, make) => {
      const error = make();
      expect(error).toBeInstanceOf(TablelaneError);
      expect(error).toBeInstanceOf(Error);
      expect(error.constructor.name).toBe(name);
      expect(error.name).toBe(name);
      expect(typeof error.retriable).toBe('boolean');
      expect(isTablelaneErrorCode(error.code), `${name}: ${error.code}`).toBe(true);
      expect(error.message.length).toBeGreaterThan(0);
    },
  );

  it('passes what an error wraps to Error as its cause', () => {
    for (const name of [
      'ConfigError',
      'RegistryUnavailable',
      'ReplayFailed',
      'GroupMembershipLost',
      'KafkaConnectionRefused',
      'WarehouseFailure',
      'ApiKeyConfigError',
      'PayloadStoreUnavailable',
    ])
      expect(EXAMPLES[name]!().cause, name).toBe(cause);
    expect(new RedshiftCopyFailed('t', 'COPY ...', cause).cause).toBe(cause);
    expect(Object.hasOwn(new FencedError('t', 0, 1), 'cause')).toBe(false);
  });

  it("carries a warehouse's own code unchanged only where the warehouse reported it", () => {
    expect(REPORTED_CODES.WarehouseFailure!().code).toBe('23505');
    expect(REPORTED_CODES.RedshiftCopyFailed!()).toMatchObject({ code: 'XX000', retriable: true });
    for (const name of Object.keys(REPORTED_CODES)) expect(EXAMPLES).toHaveProperty(name);
  });

  it('lists every code once', () => {
    expect(new Set(TABLELANE_ERROR_CODES).size).toBe(TABLELANE_ERROR_CODES.length);
  });
});
