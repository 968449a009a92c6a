/**
 * The data of a `price.tick` at `at` (ms) and `price`, with no derived figures: what a test
 * publishes on `prices:btc` to move the platform's clock.
 */
export function priceTick(at: number, price = 100_000) {
  return {
    symbol: 'btc',
    at,
    price,
    momentum: null,
    volatility: null,
    avg1m: null,
    change1h: null,
    change3h: null,
    change1d: null,
  };
}
