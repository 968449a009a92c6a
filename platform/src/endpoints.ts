/**
 * Where the platform's services and the outside world it talks to are: every port comes from the
 * catalogue, every URL is built here. The dev stack, the e2e day, the charts and the services'
 * defaults all ask this module, so no address is written down twice.
 */
import { tradeApiUrls } from '@recio/exchange-client';
import { findService } from './services.js';
import { GATEWAY_PATH } from './gateway.js';

/** The paper exchange's simulated Coinbase feed (beside the trade API paths it serves). */
export const PAPER_FEED_PATH = '/coinbase';

/** Coinbase's public market-data feed (the real price source). */
export const COINBASE_FEED_URL = 'wss://ws-feed.exchange.coinbase.com';

/** A service's port, from the catalogue; throws for a name the catalogue does not have. */
export function servicePort(name: string): number {
  const service = findService(name);
  if (!service) throw new Error(`no service ${JSON.stringify(name)} in the catalogue`);
  return service.port;
}

/**
 * A service's HTTP origin: `http://<host>:<port>`. Locally the host is 127.0.0.1; in Kubernetes it is
 * the Service's name. @param port the catalogue's unless given (a run that shifts every port).
 */
export function serviceUrl(name: string, host = '127.0.0.1', port = servicePort(name)): string {
  return `http://${host}:${port}`;
}

/** What a service reads to reach the paper exchange at `host`:`port`: its trade API and its price feed. */
export function paperExchangeEnv(
  host = '127.0.0.1',
  port = servicePort('paper-exchange'),
): { EXCHANGE_BASE_URL: string; EXCHANGE_WS_URL: string; PRICE_FEED_URL: string } {
  const api = tradeApiUrls(serviceUrl('paper-exchange', host, port));
  return {
    EXCHANGE_BASE_URL: api.rest,
    EXCHANGE_WS_URL: api.ws,
    PRICE_FEED_URL: `ws://${host}:${port}${PAPER_FEED_PATH}`,
  };
}

/**
 * What the Ingress routes to main-app, and nothing else: the page (`/` and its `/assets`), the API
 * and the WebSocket. `/metrics`, `/readyz` and `/healthz` stay inside the cluster (Prometheus and the kubelet
 * reach the pod directly). Kubernetes path types: Prefix matches whole path segments.
 */
export const MAIN_APP_PUBLIC_PATHS: readonly { path: string; pathType: 'Prefix' | 'Exact' }[] = [
  { path: '/', pathType: 'Exact' },
  { path: '/assets', pathType: 'Prefix' },
  { path: '/api', pathType: 'Prefix' },
  { path: GATEWAY_PATH, pathType: 'Exact' },
];

/**
 * The Kubernetes label naming a component (a service's Deployment and its pods): the charts select
 * pods by it, and the health controller checks it before deleting a member's pod.
 */
export const COMPONENT_LABEL = 'app.kubernetes.io/name';
