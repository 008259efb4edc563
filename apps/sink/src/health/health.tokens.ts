/** Injection tokens of the sink's health: explicit, like the app's own (sink.tokens.ts). */
export const SINK_HEALTH = Symbol('SINK_HEALTH');
export const STALL_MONITOR = Symbol('STALL_MONITOR');
