export * from './column-type';
export * from './config-error';
export * from './identifier';
export * from './load-config';
export * from './runtime-settings';
export * from './table-contract';
export * from './tablelane-config';
export * from './contract-source';
