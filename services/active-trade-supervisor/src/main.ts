import { runService } from '@recio/service-kit';
import { startActiveTradeSupervisor } from './active-trade-supervisor.js';
import { loadConfig } from './config.js';

runService(
  () => loadConfig(),
  (ctx) => startActiveTradeSupervisor(ctx),
);
