/** Injection token of the configured ApiKeyEntry list. */
export const API_KEYS = Symbol('API_KEYS');
