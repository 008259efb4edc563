import type { z } from 'zod';
import { ENVIRONMENT } from './environment';
import type { SettingMeta } from './setting-meta';
import { tableFileSchema } from './table-file.schema';

/** One key of the table file as the reference lists it. */
export interface FileSetting {
  key: string;
  valueType: string;
  default: string;
  description: string;
}

const DOCUMENTED_TOPICS = { ingest: 'tablelane.ingest', changes: 'tablelane.changes', dlq: 'tablelane.dlq' };

/** Every documented key of the table file, walked from the schema that validates it. */
export function fileSettings(): FileSetting[] {
  const settings: FileSetting[] = [];
  walk(tableFileSchema(DOCUMENTED_TOPICS), '', settings);
  return settings;
}

function walk(schema: z.ZodType, key: string, into: FileSetting[]): void {
  const meta = schema.meta() as SettingMeta | undefined;
  let inner = schema;
  let fallback: unknown;
  // Wrappers hold the default; the shape is inside them.
  for (;;) {
    const def = inner.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; defaultValue?: unknown };
    if ((def.type === 'default' || def.type === 'prefault') && def.innerType) fallback = def.defaultValue;
    if (def.innerType) inner = def.innerType;
    else if (def.type === 'pipe' && def.in && !meta) inner = def.in;
    else break;
  }
  if (meta) {
    into.push({
      key,
      valueType: meta.valueType,
      default: meta.defaultText ?? (fallback === undefined ? 'none' : `\`${String(fallback)}\``),
      description: meta.description,
    });
    return;
  }
  const def = inner.def as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType };
  if (def.type === 'object' && def.shape)
    for (const [name, child] of Object.entries(def.shape)) walk(child, key ? `${key}.${name}` : name, into);
  else if (def.type === 'array' && def.element) walk(def.element, `${key}[]`, into);
  else throw new Error(`${key} has no documentation: add documented(...) to its schema`);
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The two reference tables of docs/configuration.md, exactly as the file must hold them. */
export function renderSettingsReference(): { tableFile: string; environment: string } {
  return {
    tableFile: [
      row(['key', 'type', 'default', 'meaning']),
      row(['---', '---', '---', '---']),
      ...fileSettings().map((s) => row([`\`${s.key}\``, s.valueType, s.default, s.description])),
    ].join('\n'),
    environment: [
      row(['variable', 'type', 'default', 'read by', 'meaning']),
      row(['---', '---', '---', '---', '---']),
      ...ENVIRONMENT.map((v) =>
        row([
          `\`${v.name}\``,
          v.valueType,
          v.default === 'unset' ? 'unset' : `\`${v.default}\``,
          v.readBy,
          v.description,
        ]),
      ),
    ].join('\n'),
  };
}
