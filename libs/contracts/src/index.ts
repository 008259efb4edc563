export * from './change-event';
export * from './coerce-value';
export * from './compare-versions';
export * from './dlq-headers';
export * from './error-codes';
export * from './validate-change';
