import { runService } from '@recio/service-kit';
import { startAutoEntrySupervisor } from './auto-entry-supervisor.js';
import { loadConfig } from './config.js';

runService(
  () => loadConfig(),
  (ctx) => startAutoEntrySupervisor(ctx),
);
