/** How a body of POST /v1/changes is split into events. */
export type BodyFormat = 'json' | 'ndjson';

/** The media types the gateway reads, as documented in the OpenAPI description. */
export const BODY_FORMATS: Readonly<Record<string, BodyFormat>> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
};

export type Negotiated = { ok: true; format: BodyFormat } | { ok: false; message: string };

const ACCEPTED = Object.keys(BODY_FORMATS).join(' or ');

/**
 * Reads the Content-Type of a request: one of BODY_FORMATS, in UTF-8. A missing type or any
 * other charset is refused (415) rather than guessed: bytes read in the wrong encoding would
 * load altered text.
 */
export function negotiateBodyFormat(contentType: string | undefined): Negotiated {
  if (contentType === undefined || contentType.trim() === '')
    return { ok: false, message: `send Content-Type: ${ACCEPTED}` };
  const [type = '', ...parameters] = contentType.split(';');
  const format = BODY_FORMATS[type.trim().toLowerCase()];
  if (!format)
    return {
      ok: false,
      message: `Content-Type ${JSON.stringify(type.trim())} is not read here; send ${ACCEPTED}`,
    };
  const charset = parameters
    .map((p) => p.split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1];
  const encoding = charset
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'utf8')
    return {
      ok: false,
      message: `charset ${JSON.stringify(encoding)} is not read here; send UTF-8 (charset=utf-8)`,
    };
  return { ok: true, format };
}
