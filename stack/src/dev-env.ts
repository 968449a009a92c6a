import { SERVICES } from '@recio/platform';
import type { DevAccounts } from './dev-accounts.js';
import { KALSHI, type StackConfig } from './stack-config.js';

/** What the dev environment is computed from. */
export interface DevEnvironmentInput {
  config: StackConfig;
  accounts: DevAccounts;
  /** PAPER_ADMIN_TOKEN: random per run (the paper exchange's admin endpoints). */
  paperAdminToken: string;
  /** The control API's base URL (the health controller restarts processes through it). */
  controlUrl: string;
}

/** Environment of every local process, and what each service gets on top. */
export interface DevEnvironment {
  common: Record<string, string>;
  perService: Record<string, Record<string, string>>;
}

/**
 * THE place where the local platform's environment is decided: add a variable here when a
 * service starts reading one. Everything points at the paper exchange on its catalogue port.
 */
export function devEnvironment(input: DevEnvironmentInput): DevEnvironment {
  const { config, accounts } = input;
  const local = (name: string): string => `127.0.0.1:${SERVICES.find((s) => s.name === name)?.port ?? 0}`;
  const paper = local('paper-exchange');
  // The real exchange (demo or prod) with the real price feed, or the paper world.
  const exchange: Record<string, string> =
    config.exchange.kind === 'paper'
      ? {
          EXCHANGE_BASE_URL: `http://${paper}/trade-api/v2`,
          EXCHANGE_WS_URL: `ws://${paper}/trade-api/ws/v2`,
          PRICE_FEED_URL: `ws://${paper}/coinbase`,
          EXCHANGE_CREDENTIALS_FILE: accounts.exchangeCredentialsFile,
        }
      : {
          EXCHANGE_BASE_URL: KALSHI[config.exchange.kind].rest,
          EXCHANGE_WS_URL: KALSHI[config.exchange.kind].ws,
          PRICE_SOURCE: 'coinbase',
          EXCHANGE_CREDENTIALS_FILE: config.exchange.credentialsFile,
        };
  return {
    common: {
      REDIS_URL: config.redisUrl,
      DATABASE_URL: config.databaseUrl,
      LOG_LEVEL: config.logLevel,
      ...exchange,
      API_TOKENS_FILE: accounts.apiTokensFile,
      PAPER_ACCOUNTS_FILE: accounts.paperAccountsFile,
      PAPER_ADMIN_TOKEN: input.paperAdminToken,
    },
    perService: {
      'main-app': { TRADE_MANAGER_URL: `http://${local('trade-manager')}` },
      'health-controller': { STACK_CONTROL_URL: input.controlUrl },
    },
  };
}
