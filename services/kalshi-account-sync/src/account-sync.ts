import { ExchangeClient, ExchangeWebSocket } from '@recio/exchange-client';
import type { ServiceContext } from '@recio/service-kit';
import type { AccountSyncConfig } from './config.js';
import { SyncMetrics } from './sync-metrics.js';
import { UserSync } from './user-sync.js';

/** Options a test may change; the service runs with the defaults. */
export interface AccountSyncOptions {
  /** See UserSyncOptions.subscribeWaitMs. @defaultValue 5000 */
  subscribeWaitMs?: number;
  /** First retry delay of a failed sync. @defaultValue 1000 */
  retryBaseMs?: number;
}

/**
 * kalshi-account-sync: mirrors every configured user's exchange account into PostgreSQL
 * (account_balance, account_position, account_fill, account_order, account_settlement), each
 * change committed with its event on `account:<user>` or `positions:<user>`. Driven by the
 * exchange's `market_positions` WebSocket, with a full resync at start and after a reconnect.
 * Its one timer is the safety net (RESYNC_INTERVAL_MS): a cheap sweep of every user that
 * catches what a lost message would otherwise leave stale until the next reconnect.
 * Ready once the first full resync of every user has committed.
 */
export async function startAccountSync(
  ctx: ServiceContext<AccountSyncConfig>,
  options: AccountSyncOptions = {},
): Promise<{ ready: () => boolean }> {
  const { config, logger, router, registry, signal } = ctx;
  const metrics = new SyncMetrics(registry);
  const users: UserSync[] = [];
  for (const credential of config.credentials.values()) {
    const keys = { keyId: credential.keyId, privateKeyPem: credential.privateKeyPem };
    users.push(
      new UserSync({
        userId: credential.userId,
        client: new ExchangeClient({
          baseUrl: config.EXCHANGE_BASE_URL,
          timeoutMs: config.EXCHANGE_TIMEOUT_MS,
          ...keys,
        }),
        ws: new ExchangeWebSocket({ url: config.EXCHANGE_WS_URL, ...keys }),
        router,
        metrics,
        logger,
        signal,
        ...options,
      }),
    );
  }
  for (const user of users) user.start();
  const safetyNet = setInterval(() => {
    for (const user of users) user.sweep();
  }, config.RESYNC_INTERVAL_MS);
  ctx.onClose(async () => {
    clearInterval(safetyNet);
    await Promise.all(users.map((user) => user.close()));
  });
  logger.info(
    {
      users: users.length,
      baseUrl: config.EXCHANGE_BASE_URL,
      wsUrl: config.EXCHANGE_WS_URL,
      resyncIntervalMs: config.RESYNC_INTERVAL_MS,
    },
    'account sync started',
  );
  return { ready: () => users.every((user) => user.ready) };
}
