import { runService } from '@recio/service-kit';
import { loadConfig } from './config.js';
import { startTradeManager } from './trade-manager.js';

runService(() => loadConfig(), startTradeManager);
