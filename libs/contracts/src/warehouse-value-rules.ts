/**
 * What one warehouse accepts beyond the rules every supported warehouse shares (a port: the
 * warehouse layer implements it, validation consumes it). A value validation lets through must
 * load, or it stops its lane: these limits are the warehouse's own, not tighter and not looser.
 */
export interface WarehouseValueRules {
  /** Named in refusals, e.g. "PostgreSQL". */
  readonly warehouse: string;
  /** What `varchar(n)` counts: Unicode characters (PostgreSQL) or UTF-8 bytes (Redshift). */
  readonly varcharLength: 'characters' | 'bytes';
  /** Longest `text` value, in UTF-8 bytes. */
  readonly maxTextBytes: number;
  /** Longest `json` value (its JSON text), in UTF-8 bytes. */
  readonly maxJsonBytes: number;
  /** Largest zone offset of a `timestamptz`, in minutes either way from UTC. */
  readonly maxZoneOffsetMinutes: number;
  /** Whether a `double` may be subnormal (non-zero but below 2.2250738585072014e-308 in size). */
  readonly subnormalDoubles: boolean;
}

/**
 * PostgreSQL's rules, the default wherever the configured warehouse is not passed in: the
 * warehouse layer names them `postgresValueRules`.
 * text and jsonb are bounded by PostgreSQL's 1 GB field and 256 MB jsonb limits; offsets up to
 * ±15:59 (datetime.c MAX_TZDISP_HOUR); subnormal doubles load.
 */
export const DEFAULT_VALUE_RULES: WarehouseValueRules = {
  warehouse: 'PostgreSQL',
  varcharLength: 'characters',
  maxTextBytes: 1_073_741_823,
  maxJsonBytes: 268_435_455,
  maxZoneOffsetMinutes: 15 * 60 + 59,
  subnormalDoubles: true,
};
