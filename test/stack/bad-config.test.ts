import { describe, expect, it } from 'vitest';
import { startSink, writeConfig } from '../support/sink-process';

describe('bad configuration', () => {
  it.each([
    [
      'an unknown type',
      { tables: [{ name: 'public.t', columns: { id: 'uuidish' }, primaryKey: ['id'] }] },
      'unknown type "uuidish"',
    ],
    [
      'a missing primary key',
      { tables: [{ name: 'public.t', columns: { id: 'bigint' } }] },
      'primaryKey is required for merge tables',
    ],
    [
      'a quote in an identifier',
      { tables: [{ name: 'public.t', columns: { 'i"d': 'bigint' }, primaryKey: ['i"d'] }] },
      'is not a valid identifier',
    ],
    [
      'a semicolon in an identifier',
      { tables: [{ name: 'public.t;drop', columns: { id: 'bigint' }, primaryKey: ['id'] }] },
      'is not a valid identifier',
    ],
    [
      'a duplicate table',
      {
        tables: [
          { name: 'public.t', columns: { id: 'bigint' }, primaryKey: ['id'] },
          { name: 'public.t', columns: { id: 'bigint' }, primaryKey: ['id'] },
        ],
      },
      'declared twice',
    ],
  ])('stops the sink at startup with a clear message for %s', async (_what, config, message) => {
    const sink = startSink(writeConfig(config));
    expect(await sink.exited).toBe(1);
    // Logs are JSON lines (quotes escaped inside them): read each message as a person would.
    const said = sink
      .output()
      .split('\n')
      .map((line) => {
        try {
          const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
          return `${entry.msg ?? ''} ${entry.err?.message ?? ''}`;
        } catch {
          return line;
        }
      })
      .join('\n');
    expect(said).toContain('invalid tablelane configuration');
    expect(said).toContain(message);
  });
});
