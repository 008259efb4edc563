import { describe, expect, it } from 'vitest';
import { csvRecords } from './unload-csv';

async function records(...chunks: string[]): Promise<string[][]> {
  async function* source() {
    for (const chunk of chunks) yield Buffer.from(chunk, 'utf8');
  }
  const out: string[][] = [];
  for await (const record of csvRecords(source())) out.push(record);
  return out;
}

describe('UNLOAD CSV', () => {
  it('reads plain and quoted fields as the UNLOAD documentation shows them', async () => {
    expect(
      await records(
        '1,Pinewood Racetrack,Akron,OH,0\n2,"Columbus ""Crew"" Stadium",Columbus,OH,0\n4,"Community, Ballpark, Arena",Kansas City,KS,0\n',
      ),
    ).toEqual([
      ['1', 'Pinewood Racetrack', 'Akron', 'OH', '0'],
      ['2', 'Columbus "Crew" Stadium', 'Columbus', 'OH', '0'],
      ['4', 'Community, Ballpark, Arena', 'Kansas City', 'KS', '0'],
    ]);
  });

  it('keeps newlines and carriage returns inside quotes, and empty fields', async () => {
    expect(await records('a,"two\nlines",,"cr\r"\n,\n')).toEqual([
      ['a', 'two\nlines', '', 'cr\r'],
      ['', ''],
    ]);
  });

  it('reads records split anywhere between chunks, a doubled quote and a UTF-8 character included', async () => {
    const text = '1,"say ""hi"" ☃",x\n2,"multi\nline",y\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      async function* source() {
        yield bytes.subarray(0, cut);
        yield bytes.subarray(cut);
      }
      const out: string[][] = [];
      for await (const record of csvRecords(source())) out.push(record);
      expect(out, `cut at ${cut}`).toEqual([
        ['1', 'say "hi" ☃', 'x'],
        ['2', 'multi\nline', 'y'],
      ]);
    }
  });

  it('reads a last record without its newline, and refuses malformed quoting', async () => {
    expect(await records('a,b\nc,"d"')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    await expect(records('a,"open\n')).rejects.toThrow(/ends inside quotes/);
    await expect(records('"a"b,c\n')).rejects.toThrow(/after a closing quote/);
  });
});
