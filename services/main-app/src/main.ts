import { runService } from '@recio/service-kit';
import { loadConfig } from './config.js';
import { startMainApp } from './main-app.js';

runService(() => loadConfig(), startMainApp);
