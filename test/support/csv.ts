import { CSV_NULL } from '@app/warehouse';

/** How a reader of CSV takes a field: what reads as NULL, and whether blanks may surround quotes. */
export interface CsvRules {
  /** A field whose text equals it reads as NULL (COPY's NULL / NULL AS). */
  nullAs: string;
  /** Whether a quoted field equal to `nullAs` also reads as NULL (PostgreSQL's COPY: it does not). */
  quotedNullIsNull: boolean;
  /** Whether spaces and tabs between a delimiter and a quoted field's quotes are ignored (Redshift's COPY). */
  blanksAroundQuotes: boolean;
}

/** PostgreSQL's COPY ... CSV with tablelane's NULL: what the staged CSV is written for (csv-codec.ts). */
const POSTGRES_COPY: CsvRules = { nullAs: CSV_NULL, quotedNullIsNull: false, blanksAroundQuotes: false };

/**
 * Reads CSV as COPY ... CSV does: `,` separates fields, a record ends at a newline outside
 * quotes; a field enclosed in `"` may hold delimiters, newlines and carriage returns, and a
 * doubled `""` inside it is one quote; a field matching `rules.nullAs` is NULL. Only tests need
 * it, to prove the encoding round-trips and to read what a flush staged: the warehouses do their
 * own parsing.
 */
export function readCsv(text: string, rules: CsvRules): (string | null)[][] {
  const records: (string | null)[][] = [];
  let record: (string | null)[] = [];
  const skipBlanks = (at: number) => {
    if (rules.blanksAroundQuotes) while (text[at] === ' ' || text[at] === '\t') at++;
    return at;
  };
  let i = 0;
  while (i < text.length) {
    const start = skipBlanks(i);
    if (text[start] === '"') {
      let value = '';
      i = start + 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error('unterminated quoted field');
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      i = skipBlanks(i);
      record.push(rules.quotedNullIsNull && value === rules.nullAs ? null : value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const raw = text.slice(i, end);
      record.push(raw === rules.nullAs ? null : raw);
      i = end;
    }
    if (text[i] === ',') {
      i++;
    } else if (text[i] === '\n' || i >= text.length) {
      records.push(record);
      record = [];
      i++;
    } else {
      throw new Error(`unexpected character ${JSON.stringify(text[i])} after a field`);
    }
  }
  return records;
}

/** Parses tablelane's staged CSV back with PostgreSQL's COPY rules (quoted fields, doubled quotes, unquoted \N as NULL). */
export function decodeCsv(text: string): (string | null)[][] {
  return readCsv(text, POSTGRES_COPY);
}
