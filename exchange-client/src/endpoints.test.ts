import { describe, expect, it } from 'vitest';
import { KALSHI_ORIGINS, tradeApiUrls } from './endpoints.js';

describe('tradeApiUrls', () => {
  it('puts the trade API paths under an origin, the WebSocket on the matching ws scheme', () => {
    expect(tradeApiUrls(KALSHI_ORIGINS.prod)).toEqual({
      rest: 'https://api.elections.kalshi.com/trade-api/v2',
      ws: 'wss://api.elections.kalshi.com/trade-api/ws/v2',
    });
    expect(tradeApiUrls('http://127.0.0.1:8090/')).toEqual({
      rest: 'http://127.0.0.1:8090/trade-api/v2',
      ws: 'ws://127.0.0.1:8090/trade-api/ws/v2',
    });
  });
});
