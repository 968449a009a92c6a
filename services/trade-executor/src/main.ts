import { runService } from '@recio/service-kit';
import { loadConfig } from './config.js';
import { startTradeExecutor } from './trade-executor.js';

runService(
  () => loadConfig(),
  (ctx) => startTradeExecutor(ctx),
);
