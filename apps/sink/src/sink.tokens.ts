/** Injection tokens of the sink app: explicit, so wiring never depends on class identity. */
export const SINK = Symbol('SINK');
export const LOGGER = Symbol('LOGGER');
export const SINK_HEALTH = Symbol('SINK_HEALTH');
export const STALL_MONITOR = Symbol('STALL_MONITOR');
