import { apiKeySettings, type ApiKeySettings } from '@app/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { TablelaneError } from '@app/config';

/** One API key: only its SHA-256 is configured, never the key itself. */
export interface ApiKeyEntry {
  name: string;
  sha256: Buffer;
  /** `schema.table`, `schema.*` or `*`. */
  tables: string[];
}

/** The configured API keys cannot be used (bad JSON, a bad hash or scope): the gateway refuses to start. */
export class ApiKeyConfigError extends TablelaneError {
  readonly code = 'API_KEYS_INVALID';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiKeyConfigError';
  }
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const SCOPE = /^(\*|[a-z_][a-z0-9_]*\.(\*|[a-z_][a-z0-9_]*))$/;

/**
 * Reads the API keys from TABLELANE_API_KEYS (JSON) or the file named by
 * TABLELANE_API_KEYS_FILE, a mounted Secret (libs/config's apiKeySettings reads either, and
 * refuses both): `[{"name": "orders-lambda", "sha256": "<hex>", "tables": ["public.orders"]}]`.
 * Hash a key with `printf %s "$KEY" | sha256sum`. Without keys the gateway refuses to start:
 * an ingest endpoint open to anyone is never the intent.
 */
export function loadApiKeys(settings: ApiKeySettings = apiKeySettings()): ApiKeyEntry[] {
  const { json: text, source } = settings;
  if (!text) {
    throw new ApiKeyConfigError(
      'no API keys configured: set TABLELANE_API_KEYS (JSON) or TABLELANE_API_KEYS_FILE to [{"name", "sha256", "tables"}]',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ApiKeyConfigError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  return parseApiKeys(raw, source);
}

export function parseApiKeys(raw: unknown, source = 'API keys'): ApiKeyEntry[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new ApiKeyConfigError(`${source} must be a non-empty JSON array of {name, sha256, tables}`);
  const problems: string[] = [];
  const entries = raw.flatMap((entry: unknown, i): ApiKeyEntry[] => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const at = `${source}[${i}]`;
    if (typeof e.name !== 'string' || e.name === '') problems.push(`${at}.name must be a non-empty string`);
    if (typeof e.sha256 !== 'string' || !HEX_SHA256.test(e.sha256))
      problems.push(
        `${at}.sha256 must be the SHA-256 of the key in hex (64 characters), never the key itself`,
      );
    if (
      !Array.isArray(e.tables) ||
      e.tables.length === 0 ||
      !e.tables.every((t) => typeof t === 'string' && SCOPE.test(t))
    ) {
      problems.push(`${at}.tables must list schema.table, schema.* or *`);
    }
    if (problems.length > 0) return [];
    return [
      {
        name: e.name as string,
        sha256: Buffer.from(e.sha256 as string, 'hex'),
        tables: e.tables as string[],
      },
    ];
  });
  if (problems.length > 0) throw new ApiKeyConfigError(problems.join('; '));
  return entries;
}

/** The key presented as `Authorization: Bearer <key>` or `X-Api-Key: <key>`, if any. */
export function presentedKey(
  authorization: string | undefined,
  xApiKey: string | undefined,
): string | undefined {
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  return bearer ?? (xApiKey?.trim() || undefined);
}

/** Finds the entry of a presented key, comparing hashes in constant time. */
export function authenticate(
  keys: readonly ApiKeyEntry[],
  presented: string | undefined,
): ApiKeyEntry | undefined {
  if (!presented) return undefined;
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKeyEntry | undefined;
  // Compare against every entry so the time taken does not say which one matched.
  for (const entry of keys) {
    if (timingSafeEqual(entry.sha256, digest)) found ??= entry;
  }
  return found;
}

export function inScope(entry: ApiKeyEntry, table: string): boolean {
  const schema = table.split('.')[0];
  return entry.tables.some((scope) => scope === '*' || scope === table || scope === `${schema}.*`);
}
