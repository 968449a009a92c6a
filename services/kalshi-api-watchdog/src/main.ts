import { runService } from '@recio/service-kit';
import { startApiWatchdog } from './api-watchdog.js';
import { loadConfig } from './config.js';

runService(
  () => loadConfig(),
  (ctx) => startApiWatchdog(ctx),
);
