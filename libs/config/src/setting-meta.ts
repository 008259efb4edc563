import type { z } from 'zod';

/**
 * What the settings reference says about one key. Every documented schema carries it through
 * zod's `.meta()`, so docs/configuration.md is checked against the schema that validates.
 */
export interface SettingMeta {
  /** The type as a person writes it, e.g. `positive integer`, `merge \| append`. */
  valueType: string;
  description: string;
  /** Shown instead of the schema's default where that needs words (a size, another key). */
  defaultText?: string;
  /** Environment variables only: the apps that read it, when not every app does. */
  readBy?: string;
  /**
   * Environment variables only: a secret. It may be given as `<NAME>_FILE` instead (the path of
   * a mounted file; both set is refused), is never shown (redactSecrets), and the reference says
   * so. `'scrub'` (a password, a key) is also masked wherever its value appears in a log line;
   * `'field'` (an access key id) only where it is shown as a setting, since its value may be an
   * ordinary word.
   */
  secret?: 'scrub' | 'field';
}

export function documented<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  return schema.meta({ ...meta });
}
