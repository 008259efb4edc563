import { StringDecoder } from 'node:string_decoder';
import { SnapshotSourceUnreadable } from './source-value';

/**
 * The records of a CSV file as Redshift's UNLOAD … CSV writes it, read as it streams: fields
 * separated by commas, records by newlines; a field holding a comma, a quote, a newline or a
 * carriage return is enclosed in double quotes, a quote inside one doubled. A newline inside
 * quotes is data, so a record may span lines. Fields come back as text; NULL is not marked in
 * the CSV itself (NULL_FLAGS_COLUMN is).
 */
export async function* csvRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let record: string[] = [];
  let field = '';
  // start: before a field; plain: in an unquoted one; quoted: inside quotes; closing: just
  // after a quote inside quotes (the end of the field, or the first of a doubled quote).
  let state: 'start' | 'plain' | 'quoted' | 'closing' = 'start';
  for await (const chunk of chunks) {
    const text = decoder.write(chunk);
    let i = 0;
    while (i < text.length) {
      if (state === 'quoted') {
        const quote = text.indexOf('"', i);
        field += text.slice(i, quote < 0 ? text.length : quote);
        if (quote < 0) break;
        state = 'closing';
        i = quote + 1;
        continue;
      }
      if (state === 'closing') {
        const next = text[i]!;
        if (next === '"') {
          field += '"';
          state = 'quoted';
          i++;
          continue;
        }
        if (next !== ',' && next !== '\n')
          throw new SnapshotSourceUnreadable(`malformed CSV: ${JSON.stringify(next)} after a closing quote`);
      } else if (state === 'start' && text[i] === '"') {
        state = 'quoted';
        i++;
        continue;
      }
      // start, plain or closing: up to the next delimiter.
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      field += text.slice(i, end);
      if (end === text.length) {
        if (state === 'start') state = 'plain';
        break;
      }
      record.push(field);
      field = '';
      state = 'start';
      i = end + 1;
      if (text[end] === '\n') {
        yield record;
        record = [];
      }
    }
  }
  field += decoder.end();
  if (state === 'quoted') throw new SnapshotSourceUnreadable('malformed CSV: the file ends inside quotes');
  // A last record without its newline.
  if (state !== 'start' || record.length > 0) yield [...record, field];
}
