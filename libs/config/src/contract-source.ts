import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { configPath } from './app-settings';
import { loadConfigFile } from './load-config';
import type { TablelaneConfig } from './tablelane-config';

export interface ContractReload {
  config: TablelaneConfig;
  /** Tables whose contract differs from the one before (new tables included). */
  changedTables: string[];
}

/**
 * The table contracts as the file says now. A ConfigMap update rewrites the mounted file; the
 * apps re-read it when a change names a table or column they do not know (a producer already on
 * the newer contract) and every few seconds, so a rollout needs no restart and loses nothing.
 * Only `tables:` is reloaded (each table with its transforms, part of its contract): topics,
 * warehouse and limits shape connections and need a restart.
 */
export class ContractSource {
  private config: TablelaneConfig;
  private digest: string;

  constructor(
    private readonly path = configPath(),
    initial?: TablelaneConfig,
  ) {
    this.config = initial ?? loadConfigFile(path);
    this.digest = digestOf(path);
  }

  current(): TablelaneConfig {
    return this.config;
  }

  /**
   * Re-reads the file when its bytes changed. Resolves the reload when the tables changed, else
   * undefined; a file that no longer validates throws (ConfigError, every problem listed) and
   * the current contracts stay in force.
   */
  reload(): ContractReload | undefined {
    const digest = digestOf(this.path);
    if (digest === this.digest) return undefined;
    const next = loadConfigFile(this.path);
    this.digest = digest;
    const before = new Map(this.config.tables.map((t) => [t.name, JSON.stringify(t)]));
    const changedTables = next.tables
      .filter((t) => before.get(t.name) !== JSON.stringify(t))
      .map((t) => t.name);
    this.config = { ...this.config, tables: next.tables };
    return changedTables.length > 0 ? { config: this.config, changedTables } : undefined;
  }
}

function digestOf(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    // Mid-rewrite (a ConfigMap swaps a symlink): keep what we have, the next look decides.
    return 'unreadable';
  }
}

/**
 * A reload on demand, for changes that name something unknown: callers at the same moment share
 * one attempt, and for `gapMs` after it further callers get false without reading the file, so a
 * burst of such changes reads it once (and a change still unknown after a reload is held, not
 * checked again in a loop).
 */
export function reloadOnDemand(reload: () => Promise<boolean>, gapMs: number): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  let lastAt = 0;
  return () => {
    if (running) return running;
    if (Date.now() - lastAt < gapMs) return Promise.resolve(false);
    lastAt = Date.now();
    running = reload().finally(() => (running = undefined));
    return running;
  };
}
