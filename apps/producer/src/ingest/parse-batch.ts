import type { ChangeIssue } from '@app/contracts';

export interface BatchError {
  /** Position of the event in the array, or its line number - 1 in NDJSON. */
  index: number;
  issues: ChangeIssue[];
}

export type ParsedBatch = { ok: true; events: unknown[] } | { ok: false; errors: BatchError[] };

/**
 * Splits a request body into change events: a JSON array, a single JSON object, or NDJSON
 * (one object per line, blank lines ignored). Every malformed line is reported, not only
 * the first, so a producer can fix a batch in one go.
 */
export function parseBatch(body: string, contentType: string | undefined): ParsedBatch {
  const text = body.trim();
  if (text === '')
    return {
      ok: false,
      errors: [
        {
          index: 0,
          issues: [
            {
              code: 'MALFORMED_JSON',
              message: 'the body is empty; send a JSON array or NDJSON of change events',
            },
          ],
        },
      ],
    };
  let whole: unknown;
  let wholeError: Error | undefined;
  try {
    whole = JSON.parse(text);
  } catch (error) {
    wholeError = error as Error;
  }
  if (!wholeError) return { ok: true, events: Array.isArray(whole) ? whole : [whole] };
  const ndjson = /ndjson|jsonl|json-seq|x-json-stream/i.test(contentType ?? '') || !text.startsWith('[');
  if (!ndjson)
    return {
      ok: false,
      errors: [
        {
          index: 0,
          issues: [{ code: 'MALFORMED_JSON', message: `the body is not valid JSON: ${wholeError.message}` }],
        },
      ],
    };

  const events: unknown[] = [];
  const errors: BatchError[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line));
    } catch (error) {
      errors.push({
        index: events.length + errors.length,
        issues: [{ code: 'MALFORMED_JSON', message: `line is not valid JSON: ${(error as Error).message}` }],
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
