/** One stored price: `ts` in epoch ms (whole seconds, one point per second), `price` in dollars. */
export interface PricePoint {
  ts: number;
  price: number;
}

const MINUTE_MS = 60_000;

/** The momentum windows (ms ago) and their weights (DOMAIN.md "Prices"); the weights sum to 1. */
export const MOMENTUM_WINDOWS: readonly { readonly ms: number; readonly weight: number }[] = [
  { ms: 1 * MINUTE_MS, weight: 0.3 },
  { ms: 2 * MINUTE_MS, weight: 0.25 },
  { ms: 3 * MINUTE_MS, weight: 0.2 },
  { ms: 4 * MINUTE_MS, weight: 0.15 },
  { ms: 15 * MINUTE_MS, weight: 0.05 },
  { ms: 30 * MINUTE_MS, weight: 0.05 },
];

/**
 * How stale a stored price may be and still stand for an instant: the price "at" t is the last
 * point at or before t, and only if it is at most 60 s older than t. The feed stores one point a
 * second and is declared dead after 10 s, so 60 s bridges short gaps without inventing a minute.
 */
export const PRICE_TOLERANCE_MS = 60_000;

/**
 * The history a service must keep in memory for {@link momentum} and the default volatility
 * estimate: the longest window (30 min) plus the tolerance (60 s) plus a minute of margin. Points
 * older than `now − MOMENTUM_HISTORY_MS` can be dropped. (1 h / 3 h / 1 d changes need more.)
 */
export const MOMENTUM_HISTORY_MS = 30 * MINUTE_MS + PRICE_TOLERANCE_MS + MINUTE_MS;

/** Momentum bucket bound: buckets are clamped to ±30 (DOMAIN.md "range about ±30"). */
export const MOMENTUM_BUCKET_LIMIT = 30;

/**
 * The stored price standing for instant `atMs`: the last point with ts ≤ atMs, or null when there
 * is none or it is more than `toleranceMs` older. `history` must be sorted by ts ascending.
 */
export function priceAt(
  history: readonly PricePoint[],
  atMs: number,
  toleranceMs: number = PRICE_TOLERANCE_MS,
): number | null {
  // Binary search for the last index with ts ≤ atMs.
  let lo = 0;
  let hi = history.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const point = history[mid] as PricePoint;
    if (point.ts <= atMs) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return null;
  const point = history[found] as PricePoint;
  return atMs - point.ts <= toleranceMs ? point.price : null;
}

/**
 * Momentum in percent: the weighted percent change of the price at `nowMs` against each of
 * {@link MOMENTUM_WINDOWS} ago, the weights renormalised over the windows that have a price
 * (with only the 1- and 2-minute windows, (0.30·c1 + 0.25·c2) / 0.55). Null when there is no
 * current price or no window has data.
 */
export function momentum(history: readonly PricePoint[], nowMs: number): number | null {
  const current = priceAt(history, nowMs);
  if (current === null) return null;
  let weighted = 0;
  let weights = 0;
  for (const window of MOMENTUM_WINDOWS) {
    const past = priceAt(history, nowMs - window.ms);
    if (past === null || past <= 0) continue;
    weighted += window.weight * ((current - past) / past) * 100;
    weights += window.weight;
  }
  return weights > 0 ? weighted / weights : null;
}

/**
 * The momentum bucket: Math.round(momentum × 100) (momentum in hundredths of a percent, i.e.
 * basis points) clamped to ±{@link MOMENTUM_BUCKET_LIMIT}. Math.round takes halves towards +∞
 * (−2.5 → −2); −0 is returned as 0 so it keys a table like 0.
 */
export function momentumBucket(momentumPct: number): number {
  const bucket = Math.round(momentumPct * 100);
  return Math.max(-MOMENTUM_BUCKET_LIMIT, Math.min(MOMENTUM_BUCKET_LIMIT, bucket)) || 0;
}

/**
 * Momentum in points, momentum × 100, not clamped: the unit of the spike and cooldown thresholds
 * (36 and 30 by default), which lie beyond the bucket clamp. Rounded to 1e-6 points so the binary
 * noise of the scaling (0.3 × 100 = 30.000000000000004) cannot decide a threshold.
 */
export function momentumPoints(momentumPct: number): number {
  return Math.round(momentumPct * 1e8) / 1e6;
}

/** The mean of the prices with ts in (now − windowMs, now], or null when there are none. */
export function averagePrice(history: readonly PricePoint[], nowMs: number, windowMs: number): number | null {
  let sum = 0;
  let n = 0;
  for (let i = history.length - 1; i >= 0; i -= 1) {
    const point = history[i] as PricePoint;
    if (point.ts > nowMs) continue;
    if (point.ts <= nowMs - windowMs) break;
    sum += point.price;
    n += 1;
  }
  return n > 0 ? sum / n : null;
}

/** Percent change of the price at now against `windowMs` ago (1 h, 3 h, 1 d), or null without data. */
export function changePct(history: readonly PricePoint[], nowMs: number, windowMs: number): number | null {
  const current = priceAt(history, nowMs);
  const past = priceAt(history, nowMs - windowMs);
  if (current === null || past === null || past <= 0) return null;
  return ((current - past) / past) * 100;
}
