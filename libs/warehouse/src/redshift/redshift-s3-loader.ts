import type { ClientBase } from 'pg';
import type { StagedBatch } from '../destination.port';
import type { StagingLoader } from '../staging-loader';
import type { RedshiftCopyOptions } from './redshift-copy';
import type { RedshiftDialect } from './redshift-dialect';
import { StagedUriUnusable } from '../errors';
import { connectionLost } from '../pg-session';
import { RedshiftCopyFailed } from './redshift-errors';

/** Redshift loads the staged file itself: COPY FROM S3, then pg_last_copy_count(). */
export class RedshiftS3CopyLoader implements StagingLoader {
  constructor(
    private readonly dialect: RedshiftDialect,
    private readonly copy: RedshiftCopyOptions,
  ) {}

  async load(client: ClientBase, batch: StagedBatch): Promise<number> {
    const { contract, stagedUri } = batch;
    if (!stagedUri) throw new StagedUriUnusable(contract.name, 'it was not staged to S3');
    if (this.copy.manifest !== stagedUri.endsWith('.manifest')) {
      throw new StagedUriUnusable(
        contract.name,
        `${stagedUri} ${this.copy.manifest ? 'is not' : 'is'} a manifest but COPY is configured with manifest: ${this.copy.manifest}`,
      );
    }
    const statement = this.dialect.copyFromS3(contract, stagedUri, this.copy, batch.shape);
    try {
      await client.query(statement.text);
    } catch (error) {
      throw new RedshiftCopyFailed(contract.name, statement.redacted, error, connectionLost(client));
    }
    const { rows } = await client.query<{ loaded: string | number }>(this.dialect.lastCopyCount());
    return Number(rows[0]?.loaded ?? -1);
  }
}
