import { COINBASE_FEED_URL, paperExchangeEnv, serviceUrl } from '@recio/platform';
import type { ChartConfig } from './config.js';
import { clusterNodeAddresses } from './redis-cluster.js';
import { SENTINEL_MASTER_NAME, sentinelAddresses } from './redis-sentinel.js';

/** Data of the `recio-env` ConfigMap: settings that are not secrets, by variable name. */
export function envConfigData(config: ChartConfig): Record<string, string> {
  const redis: Record<string, string> =
    config.redisMode === 'sentinel'
      ? {
          REDIS_SENTINELS: sentinelAddresses(config.namespace)
            .sentinels.map((h) => `${h}:26379`)
            .join(','),
          REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
        }
      : { REDIS_CLUSTER_NODES: clusterNodeAddresses(config.namespace).join(',') };
  // Services reach each other by their Service's name, on the catalogue's port.
  const paper = paperExchangeEnv('paper-exchange');
  return {
    LOG_LEVEL: 'info',
    ...redis,
    // Both profiles trade against the in-cluster paper exchange until an operator points this at the real API.
    EXCHANGE_BASE_URL: paper.EXCHANGE_BASE_URL,
    EXCHANGE_WS_URL: paper.EXCHANGE_WS_URL,
    PRICE_SOURCE: config.profile === 'cloud' ? 'coinbase' : 'simulated',
    PRICE_FEED_URL: config.profile === 'cloud' ? COINBASE_FEED_URL : paper.PRICE_FEED_URL,
    TRADE_MANAGER_URL: serviceUrl('trade-manager', 'trade-manager'),
    RESYNC_INTERVAL_MS: '300000',
    PROBE_INTERVAL_MS: '10000',
    DEGRADED_LATENCY_MS: '2000',
  };
}
