import { describe, expect, it } from 'vitest';
import { copyTextRows, parseCopyTextLine } from './copy-text';

const line = (text: string) => parseCopyTextLine(Buffer.from(text, 'utf8'));

async function rows(chunks: Buffer[]): Promise<(string | null)[][]> {
  async function* source() {
    yield* chunks;
  }
  const out: (string | null)[][] = [];
  for await (const row of copyTextRows(source())) out.push(row);
  return out;
}

describe('COPY text format', () => {
  it('splits on tabs and reads \\N as NULL, keeping the empty string apart', () => {
    expect(line('1\t\\N\t\tx')).toEqual(['1', null, '', 'x']);
    expect(line('')).toEqual(['']);
  });

  it('reads the escapes PostgreSQL writes: backslash, tab, newline, carriage return and the others', () => {
    expect(line('a\\\\b\tc\\td\te\\nf\\rg')).toEqual(['a\\b', 'c\td', 'e\nf\rg']);
    expect(line('\\b\\f\\v')).toEqual(['\b\f\v']);
    // \N only means NULL as the whole field; a backslash before anything else is that character.
    expect(line('\\\\N\tx\\Ny\t\\q')).toEqual(['\\N', 'xNy', 'q']);
  });

  it('reads octal and hex escapes as bytes of the UTF-8 text', () => {
    expect(line('\\101\\x42\\7')).toEqual(['AB\u0007']);
    // é is C3 A9 in UTF-8, written as two escaped bytes.
    expect(line('caf\\303\\251 \\xc3\\xa9')).toEqual(['café é']);
  });

  it('keeps unicode whole across chunk boundaries and rows split between chunks', async () => {
    const bytes = Buffer.from('1\tzürich ☃\n2\t\\N\n3\tend\n', 'utf8');
    const split = [bytes.subarray(0, 5), bytes.subarray(5, 12), bytes.subarray(12, 13), bytes.subarray(13)];
    expect(await rows(split)).toEqual([
      ['1', 'zürich ☃'],
      ['2', null],
      ['3', 'end'],
    ]);
  });

  it('refuses output that ends inside a row', async () => {
    await expect(rows([Buffer.from('1\tx\n2\ty')])).rejects.toThrow(/ended inside a row/);
  });
});
