import { channelClass, isChannelPattern } from './channels.js';

/**
 * How a class's events travel (ARCHITECTURE invariant 14):
 * - `exactly-once`: business state. Committed to `event_log` with the business rows (commit first),
 *   gapless seqs, applied by each group exactly once and in order with its PostgreSQL offset.
 * - `latest`: market data a newer value supersedes (a price tick, a strike table). Appended to Redis
 *   only, with the datum's own increasing version as its seq (gaps allowed); delivered to each group
 *   at least once (the group's PEL), with no PostgreSQL offset; handlers make their effects idempotent
 *   and check PostgreSQL before money moves. The history that matters is kept by its owner (e.g. the
 *   price watchdog's `price_tick`), not in `event_log`.
 */
export type DeliveryClass = 'exactly-once' | 'latest';

/** How the router treats the channels of one class (`trades`, `prices`, ...). */
export interface ChannelClassPolicy {
  /** How its events are published and consumed. @defaultValue 'exactly-once' */
  delivery?: DeliveryClass;
  /** Approximate MAXLEN of each channel's stream: Redis keeps this much of the log tail. */
  maxLen: number;
  /** Days PostgreSQL keeps the class's events; null keeps them forever. */
  retentionDays: number | null;
}

/**
 * The platform's channel classes (ARCHITECTURE.md): every class a service publishes to or consumes,
 * and nothing else. Prices and markets are latest-value market data (their `event_log` rows from
 * before that, if any, expire after 30 days; the price history is `price_tick`); trades, positions,
 * settings and account are kept. Stream lengths are sized so a consumer that was away
 * for a while still reads from Redis: prices tick once a second (20k ≈ 5.5 h), a markets event
 * carries a whole strike table (5k ≈ 1.4 h, ~15 MB).
 */
export const CHANNEL_CLASSES = {
  trades: { maxLen: 1_000, retentionDays: null },
  positions: { maxLen: 1_000, retentionDays: null },
  settings: { maxLen: 100, retentionDays: null },
  account: { maxLen: 1_000, retentionDays: null },
  prices: { maxLen: 20_000, retentionDays: 30, delivery: 'latest' },
  markets: { maxLen: 5_000, retentionDays: 30, delivery: 'latest' },
  system: { maxLen: 10_000, retentionDays: 30 },
} as const satisfies Readonly<Record<string, ChannelClassPolicy>>;

/** One of the platform's channel classes. */
export type ChannelClass = keyof typeof CHANNEL_CLASSES;

/** The platform's channel classes, in the table's order. */
export const CHANNEL_CLASS_NAMES = Object.keys(CHANNEL_CLASSES) as ChannelClass[];

/** How `policy`'s events travel (its `delivery`, exactly-once unless it says otherwise). */
export function deliveryOf(policy: ChannelClassPolicy): DeliveryClass {
  return policy.delivery ?? 'exactly-once';
}

/**
 * Whether a concrete channel of the platform's classes is latest-value (prices, markets); false for a
 * pattern or a class the platform does not have. (A router with classes of its own asks its Channels.)
 */
export function isLatestChannel(channel: string): boolean {
  if (isChannelPattern(channel)) return false;
  const policy = (CHANNEL_CLASSES as Readonly<Record<string, ChannelClassPolicy>>)[channelClass(channel)];
  return policy !== undefined && deliveryOf(policy) === 'latest';
}
