/**
 * @recio/contract: the names, places and policies every part of the platform agrees on, defined
 * once and imported by the router, the services, the charts, the dev stack and the tests.
 */
export * from './channels.js';
export * from './channel-classes.js';
export * from './stream-ids.js';
export * from './redis-keys.js';
export * from './health.js';
export * from './backoff.js';
export * from './local-servers.js';
