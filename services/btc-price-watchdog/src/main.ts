import { runService } from '@recio/service-kit';
import { loadConfig } from './config.js';
import { startWatchdog } from './watchdog.js';

runService(() => loadConfig(), startWatchdog);
