/** Injection tokens of the sink app: explicit, so wiring never depends on class identity. */
export const SINK = Symbol('SINK');
export const LOGGER = Symbol('LOGGER');
