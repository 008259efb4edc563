import type { ColumnType } from '@app/config';

export function postgresType(type: ColumnType): string {
  switch (type.kind) {
    case 'text':
      return 'text';
    case 'varchar':
      return `varchar(${type.length})`;
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'numeric':
      return `numeric(${type.precision},${type.scale})`;
    case 'double':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'timestamptz':
      return 'timestamptz';
    case 'json':
      return 'jsonb';
  }
}
