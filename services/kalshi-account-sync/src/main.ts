import { runService } from '@recio/service-kit';
import { startAccountSync } from './account-sync.js';
import { loadConfig } from './config.js';

runService(() => loadConfig(), startAccountSync);
