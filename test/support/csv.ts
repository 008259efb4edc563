import { CSV_NULL } from '@app/warehouse';

/**
 * Parses tablelane's staged CSV back with the documented COPY rules (quoted fields, doubled
 * quotes, unquoted \N as NULL). Only tests need it, to prove the encoding round-trips and to read
 * what a flush staged: the warehouses do their own parsing.
 */
export function decodeCsv(text: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let value = '';
      i++;
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
      row.push(value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const raw = text.slice(i, end);
      row.push(raw === CSV_NULL ? null : raw);
      i = end;
    }
    if (text[i] === ',') {
      i++;
    } else if (text[i] === '\n' || i >= text.length) {
      rows.push(row);
      row = [];
      i++;
    } else {
      throw new Error(`unexpected character ${JSON.stringify(text[i])} after a field`);
    }
  }
  return rows;
}
