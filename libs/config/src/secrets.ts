import { readFileSync } from 'node:fs';

/**
 * Secrets, from wherever they come (a variable, a `<NAME>_FILE`, a key file), are remembered
 * here when libs/config reads them, so that `redactSecrets` can mask them anywhere they end up:
 * a settings object, an error message, a URL in a log line, the sink's /status.
 */
/** Longest first, so a secret containing another is masked whole; kept sorted as secrets arrive. */
const knownSecrets: string[] = [];

/**
 * Shorter values are too likely to be ordinary words or numbers to scrub from every text (a
 * longer one that is a word, a development password like `postgres`, is masked wherever the
 * word appears: safe, if puzzling).
 */
const MIN_SCRUBBED_LENGTH = 6;

/** The masked form of every secret. */
export const REDACTED = '***';

/** Remembers a secret value, so `redactSecrets` masks it wherever it appears. */
export function rememberSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SCRUBBED_LENGTH || knownSecrets.includes(value)) return;
  knownSecrets.push(value);
  knownSecrets.sort((a, b) => b.length - a.length);
}

/**
 * The contents of a mounted secret file, trailing line breaks trimmed (a file written by `echo`
 * or an editor ends with one; a password never does). Throws with a reason that names no content.
 */
export function readSecretFile(path: string): string {
  return readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
}

/** Why a file could not be read, in words that name the path and not its contents. */
export function unreadable(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'no such file (is the volume mounted there?)';
  if (code === 'EACCES') return 'permission denied (check the mount mode and the user the app runs as)';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return message;
}

/** Field names whose values are secrets wherever they sit in an object. */
const SECRET_FIELDS = new Set([
  'password',
  'keyPassword',
  'secretAccessKey',
  'accessKeyId',
  'sessionToken',
  'apiKey',
  'apiKeys',
  'authorization',
  'userInfo',
  'databasePassword',
]);

/** `scheme://user:password@`: the password of a URL, in any text. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@]*@/gi;
/** A PEM private key (a client key's contents), in any text. */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/** A PEM certificate: public, but only noise in a log line. */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A text with every known secret, URL password and private key masked. */
export function redactText(text: string): string {
  let out = text
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(PEM_CERTIFICATE, '<certificate>')
    .replace(URL_PASSWORD, `$1${REDACTED}@`);
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * A copy of `value` safe to log or show: the one redaction of tablelane (the logger applies it
 * to every line, the sink to /status). Masks every secret libs/config has read wherever it
 * appears, the fields named like secrets (`password`, `secretAccessKey`, …), URL passwords and
 * PEM private keys. Errors stay errors (same class, message and stack redacted).
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, new WeakMap(), 0) as T;
}

const MAX_DEPTH = 12;

function redact(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (depth > MAX_DEPTH) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redact(item, seen, depth + 1));
    return copy;
  }
  if (value instanceof Map || value instanceof Set) return value;
  // A URL, a decimal: logged as what toJSON gives, so that is what is redacted.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !(value instanceof Error))
    return redact(toJSON.call(value) as unknown, seen, depth + 1);
  const copy: Record<string, unknown> =
    value instanceof Error
      ? (Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>)
      : {};
  seen.set(value, copy);
  if (value instanceof Error) {
    // Not enumerable: copied by hand, so pino's error serializer still finds them.
    for (const name of ['message', 'stack', 'name'] as const)
      Object.defineProperty(copy, name, {
        value: typeof value[name] === 'string' ? redactText(value[name]) : value[name],
        writable: true,
        configurable: true,
        enumerable: false,
      });
    if (value.cause !== undefined)
      Object.defineProperty(copy, 'cause', {
        value: redact(value.cause, seen, depth + 1),
        writable: true,
        configurable: true,
        enumerable: false,
      });
  }
  for (const [key, field] of Object.entries(value)) {
    copy[key] =
      SECRET_FIELDS.has(key) && field !== undefined && field !== null && field !== ''
        ? REDACTED
        : redact(field, seen, depth + 1);
  }
  return copy;
}
