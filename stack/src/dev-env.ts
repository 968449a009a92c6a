import { KALSHI_ORIGINS, tradeApiUrls } from '@recio/exchange-client';
import { paperExchangeEnv, serviceUrl } from '@recio/platform';
import type { DevAccounts } from './dev-accounts.js';
import type { StackConfig } from './stack-config.js';

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
  // The real exchange (demo or prod) with the real price feed, or the paper world.
  const exchange: Record<string, string> =
    config.exchange.kind === 'paper'
      ? { ...paperExchangeEnv(), EXCHANGE_CREDENTIALS_FILE: accounts.exchangeCredentialsFile }
      : kalshiEnv(config.exchange.kind, config.exchange.credentialsFile);
  return {
    common: {
      REDIS_URL: config.redisUrl,
      DATABASE_URL: config.databaseUrl,
      LOG_LEVEL: config.logLevel,
      ...exchange,
      API_TOKENS_FILE: accounts.apiTokenDigestsFile,
      PAPER_ACCOUNTS_FILE: accounts.paperAccountsFile,
      PAPER_ADMIN_TOKEN: input.paperAdminToken,
    },
    perService: {
      'main-app': { TRADE_MANAGER_URL: serviceUrl('trade-manager') },
      'health-controller': { STACK_CONTROL_URL: input.controlUrl },
    },
  };
}

// Kalshi's API (demo or prod) with the users' own keys, and the real Coinbase feed.
function kalshiEnv(kind: keyof typeof KALSHI_ORIGINS, credentialsFile: string): Record<string, string> {
  const api = tradeApiUrls(KALSHI_ORIGINS[kind]);
  return {
    EXCHANGE_BASE_URL: api.rest,
    EXCHANGE_WS_URL: api.ws,
    PRICE_SOURCE: 'coinbase',
    EXCHANGE_CREDENTIALS_FILE: credentialsFile,
  };
}
