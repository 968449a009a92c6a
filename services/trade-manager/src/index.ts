/** @recio/trade-manager: the service, for a process that runs it in-process (main-app's tests). */
export { loadConfig, type TradeManagerConfig } from './config.js';
export { startTradeManager, TRADE_MANAGER_GROUP } from './trade-manager.js';
