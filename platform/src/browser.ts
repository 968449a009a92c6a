/**
 * What the trader's page takes from the platform (bundled for the browser, so nothing here reaches
 * Node's modules): the gateway protocol and the event catalogue it validates frames with.
 */
export * from './gateway.js';
export * from './events/index.js';
