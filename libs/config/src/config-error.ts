import { TablelaneError } from './tablelane-error';

/** A configuration that cannot run; `problems` lists every fault found, each with a fix. */
export class ConfigError extends TablelaneError {
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
  constructor(
    readonly source: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid tablelane configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
  }
}
