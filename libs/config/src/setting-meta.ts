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
}

export function documented<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  return schema.meta({ ...meta });
}
