/** @recio/stack: runs the whole platform as local processes (`make dev`, the end-to-end tests). */
export { Backoff, type BackoffSettings } from './backoff.js';
export { ControlServer, CONTROL_PORT, CONTROL_SIGNALS, type ControlServerOptions } from './control-server.js';
export { dependencyOrder } from './dependency-order.js';
export {
  ensureDatabaseRolePasswords,
  ensureDevAccounts,
  ensureRedisUserPasswords,
  paperKeyId,
  DevAccountsError,
  type ApiTokenEntry,
  type DevAccounts,
  type DevAccountsOptions,
  type ExchangeCredentialEntry,
  type PaperAccountEntry,
  type ServicePasswords,
} from './dev-accounts.js';
export { devEnvironment, type DevEnvironment, type DevEnvironmentInput } from './dev-env.js';
export {
  InvalidOptionError,
  NotAServiceError,
  OneshotFailedError,
  ReadyTimeoutError,
  StackConfigError,
  StackError,
  StoppedError,
  UnknownProcessError,
} from './errors.js';
export { LineSplitter } from './line-splitter.js';
export {
  DATABASE_ROLES,
  defaultServices,
  REDIS_USERS,
  MIGRATE,
  PAPER_EXCHANGE,
  platformProcesses,
  RELAY,
  type PlatformProcessesOptions,
} from './platform-processes.js';
export { stopOnSignals, STOP_SIGNALS } from './signals.js';
export { loadStackConfig, type StackConfig } from './stack-config.js';
export {
  Supervisor,
  type ProcessKind,
  type ProcessSpec,
  type ProcessState,
  type ProcessStatus,
  type SupervisorEvents,
  type SupervisorOptions,
} from './supervisor.js';
