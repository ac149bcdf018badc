/** Injection tokens for the interfaces the core defines (Nest cannot inject an interface by type). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const CLOCK = Symbol('CLOCK');
export const HISTORY_STORE = Symbol('HISTORY_STORE');
export const NOTIFICATION_FEED = Symbol('NOTIFICATION_FEED');
export const CONNECTION_LIMITER = Symbol('CONNECTION_LIMITER');
export const TOKEN_SETTINGS = Symbol('TOKEN_SETTINGS');
/** The store, feed and limiter of the current mode (memory or Redis), with its readiness. */
export const HUB_BACKEND = Symbol('HUB_BACKEND');
