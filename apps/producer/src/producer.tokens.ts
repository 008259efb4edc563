/** Injection tokens of the gateway: explicit, so wiring never depends on class identity. */
export const PRODUCER_SETTINGS = Symbol('PRODUCER_SETTINGS');
export const PRODUCER_LOGGER = Symbol('PRODUCER_LOGGER');
/** The configured ApiKeyEntry list. */
export const API_KEYS = Symbol('API_KEYS');
export const GATEWAY_METRICS = Symbol('GATEWAY_METRICS');
export const INGEST_PUBLISHER = Symbol('INGEST_PUBLISHER');
