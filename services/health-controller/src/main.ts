import { runService } from '@recio/service-kit';
import { loadConfig } from './config.js';
import { startHealthController } from './health-controller.js';

runService(
  () => loadConfig(),
  (ctx) => startHealthController(ctx),
);
