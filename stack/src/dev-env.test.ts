import { SERVICES } from '@recio/platform';
import { describe, expect, it } from 'vitest';
import { devEnvironment } from './dev-env.js';
import { loadStackConfig } from './stack-config.js';

/** Accounts files whose contents these tests do not read. */
const SOME_ACCOUNTS = {
  paperAccountsFile: 'p',
  exchangeCredentialsFile: 'c',
  apiTokensFile: 't',
  apiTokenDigestsFile: 'td',
  tokens: [],
  webUsersFile: 'w',
  webUsers: [],
};

describe('devEnvironment', () => {
  it('points every service at the paper exchange and the dev account files', () => {
    const env = devEnvironment({
      config: loadStackConfig({ REDIS_URL: 'redis://r:6379', DATABASE_URL: 'postgres://p/recio' }, '/repo'),
      accounts: {
        paperAccountsFile: '/d/paper.json',
        exchangeCredentialsFile: '/d/creds.json',
        apiTokensFile: '/d/tokens.json',
        apiTokenDigestsFile: '/d/token-digests.json',
        tokens: [],
        webUsersFile: '/d/web-users.json',
        webUsers: [],
      },
      paperAdminToken: 'admin',
      controlUrl: 'http://127.0.0.1:8099',
    });
    expect(env.common).toEqual({
      REDIS_URL: 'redis://r:6379',
      DATABASE_URL: 'postgres://p/recio',
      LOG_LEVEL: 'info',
      EXCHANGE_BASE_URL: 'http://127.0.0.1:8090/trade-api/v2',
      EXCHANGE_WS_URL: 'ws://127.0.0.1:8090/trade-api/ws/v2',
      PRICE_FEED_URL: 'ws://127.0.0.1:8090/coinbase',
      EXCHANGE_CREDENTIALS_FILE: '/d/creds.json',
      API_TOKENS_FILE: '/d/token-digests.json',
      PAPER_ACCOUNTS_FILE: '/d/paper.json',
      PAPER_ADMIN_TOKEN: 'admin',
    });
    expect(env.perService['main-app']).toEqual({ TRADE_MANAGER_URL: 'http://127.0.0.1:4000' });
    expect(env.perService['health-controller']).toEqual({ STACK_CONTROL_URL: 'http://127.0.0.1:8099' });
  });

  it('points the services at Kalshi demo or prod and the real feed with STACK_EXCHANGE, with the given keys', () => {
    const env = devEnvironment({
      config: loadStackConfig(
        { STACK_EXCHANGE: 'demo', STACK_EXCHANGE_CREDENTIALS_FILE: '/secrets/kalshi.json' },
        '/repo',
      ),
      accounts: SOME_ACCOUNTS,
      paperAdminToken: 'a',
      controlUrl: 'http://127.0.0.1:8099',
    });
    expect(env.common).toMatchObject({
      EXCHANGE_BASE_URL: 'https://demo-api.kalshi.co/trade-api/v2',
      EXCHANGE_WS_URL: 'wss://demo-api.kalshi.co/trade-api/ws/v2',
      PRICE_SOURCE: 'coinbase',
      EXCHANGE_CREDENTIALS_FILE: '/secrets/kalshi.json',
    });
    expect(env.common.PRICE_FEED_URL).toBeUndefined();
    expect(() => loadStackConfig({ STACK_EXCHANGE: 'prod' }, '/repo')).toThrow(/STACK_EXCHANGE_CREDENTIALS_FILE/);
    expect(() => loadStackConfig({ STACK_EXCHANGE: 'live' }, '/repo')).toThrow(/STACK_EXCHANGE/);
  });

  it('provides every variable the catalogue says a service reads, but the cluster-only ones', () => {
    // Locally: one standalone Redis (REDIS_URL), no Kubernetes, and each service's own defaults.
    const notLocal = new Set([
      'REDIS_SENTINELS',
      'REDIS_SENTINEL_NAME',
      'REDIS_CLUSTER_NODES',
      'REDIS_USERNAME',
      'REDIS_PASSWORD',
      'POD_NAMESPACE',
      'PRICE_SOURCE',
    ]);
    const setBySupervisor = new Set(['PORT', 'POD_NAME', 'RECIO_SOURCE']);
    // Tuning with a default in the service's config (the charts set them explicitly).
    const serviceDefaults = new Set(['RESYNC_INTERVAL_MS', 'PROBE_INTERVAL_MS', 'DEGRADED_LATENCY_MS']);
    const env = devEnvironment({
      config: loadStackConfig({}, '/repo'),
      accounts: SOME_ACCOUNTS,
      paperAdminToken: 'a',
      controlUrl: 'http://127.0.0.1:8099',
    });
    const missing = SERVICES.flatMap((s) =>
      s.env
        .filter(
          (v) =>
            !notLocal.has(v) &&
            !setBySupervisor.has(v) &&
            !serviceDefaults.has(v) &&
            !(v in env.common) &&
            !(v in (env.perService[s.name] ?? {})),
        )
        .map((v) => `${s.name}: ${v}`),
    );
    expect(missing).toEqual([]);
  });
});
