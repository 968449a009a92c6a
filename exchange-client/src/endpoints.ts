/**
 * Where the exchange's trade API v2 lives under a host: the REST base and the authenticated
 * WebSocket. Kalshi's production and demo hosts and the local paper exchange all serve these paths.
 */

/** The REST API's path prefix. */
export const TRADE_API_PATH = '/trade-api/v2';

/** The authenticated WebSocket's path (also what its upgrade request is signed over). */
export const TRADE_WS_PATH = '/trade-api/ws/v2';

/** Kalshi's hosts (DOMAIN.md "Markets"). */
export const KALSHI_ORIGINS = {
  prod: 'https://api.elections.kalshi.com',
  demo: 'https://demo-api.kalshi.co',
} as const;

/** The REST base and WebSocket URL of the trade API at `origin` (`http://host:port` or `https://host`). */
export function tradeApiUrls(origin: string): { rest: string; ws: string } {
  const base = origin.replace(/\/+$/, '');
  return { rest: `${base}${TRADE_API_PATH}`, ws: `${base.replace(/^http/, 'ws')}${TRADE_WS_PATH}` };
}
