/** Injection tokens of the router app: explicit, so wiring never depends on class identity. */
export const ROUTER_LOGGER = Symbol('ROUTER_LOGGER');
