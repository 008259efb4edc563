export * from './snapshot-source.port';
export * from './source-value';
export * from './postgres-snapshot-sql';
export * from './postgres-copy-source';
export * from './redshift-unload';
export * from './redshift-unload-files';
export * from './redshift-unload-source';
