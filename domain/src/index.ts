// @recio/domain: the trading domain of DOMAIN.md as pure functions (no I/O, no clock reads).
export * from './errors.js';
export * from './side.js';
export * from './time.js';
export * from './strikes.js';
export * from './momentum.js';
export * from './volatility.js';
export * from './normal.js';
export * from './probability.js';
export * from './lookup-table.js';
export * from './settings.js';
export * from './strike-table.js';
export * from './auto-entry.js';
export * from './auto-stop.js';
export * from './pnl.js';
export * from './lifecycle.js';
