import { SnapshotSourceUnreadable } from './source-value';

const TAB = 0x09;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;
/** `\b \f \n \r \t \v` of COPY's text format, by the letter after the backslash. */
const ESCAPES: Record<number, number> = {
  0x62: 0x08,
  0x66: 0x0c,
  0x6e: 0x0a,
  0x72: 0x0d,
  0x74: 0x09,
  0x76: 0x0b,
};
const isOctal = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x37;
const isHex = (byte: number | undefined) =>
  byte !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(byte));

/**
 * The rows of COPY … TO STDOUT in PostgreSQL's text format, read as they stream: one row per
 * line, columns separated by tabs, `\N` for NULL, and backslash escapes for the backslash,
 * tabs, newlines and other control bytes, so a raw newline always ends a row. Only the line
 * being read is held, whatever the size of the table.
 */
export async function* copyTextRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<(string | null)[]> {
  // The start of a row the chunks so far did not finish: joined only once its newline arrives.
  let pending: Buffer[] = [];
  for await (const chunk of chunks) {
    let start = 0;
    let end = chunk.indexOf(NEWLINE);
    while (end >= 0) {
      const line = chunk.subarray(start, end);
      yield parseCopyTextLine(pending.length > 0 ? Buffer.concat([...pending, line]) : line);
      pending = [];
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0)
    throw new SnapshotSourceUnreadable('COPY output ended inside a row (no final newline)');
}

/** One line of COPY text format (without its newline): every field as text, or null for `\N`. */
export function parseCopyTextLine(line: Buffer): (string | null)[] {
  const fields: (string | null)[] = [];
  let start = 0;
  for (;;) {
    let end = line.indexOf(TAB, start);
    if (end < 0) end = line.length;
    fields.push(copyTextField(line.subarray(start, end)));
    if (end === line.length) return fields;
    start = end + 1;
  }
}

function copyTextField(raw: Buffer): string | null {
  if (raw.length === 2 && raw[0] === BACKSLASH && raw[1] === 0x4e) return null;
  if (!raw.includes(BACKSLASH)) return raw.toString('utf8');
  const out = Buffer.alloc(raw.length);
  let size = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== BACKSLASH || i + 1 === raw.length) {
      out[size++] = byte;
      continue;
    }
    const next = raw[++i]!;
    if (isOctal(next)) {
      let digits = String.fromCharCode(next);
      while (digits.length < 3 && isOctal(raw[i + 1])) digits += String.fromCharCode(raw[++i]!);
      out[size++] = parseInt(digits, 8) & 0xff;
    } else if (next === 0x78 && isHex(raw[i + 1])) {
      let digits = String.fromCharCode(raw[++i]!);
      if (isHex(raw[i + 1])) digits += String.fromCharCode(raw[++i]!);
      out[size++] = parseInt(digits, 16);
    } else {
      // Any other backslashed character stands for itself (COPY's own rule), `\\` included.
      out[size++] = ESCAPES[next] ?? next;
    }
  }
  return out.toString('utf8', 0, size);
}
