/** How the router treats the channels of one class (`trades`, `prices`, ...). */
export interface ChannelClassPolicy {
  /** Approximate MAXLEN of each channel's stream: Redis keeps this much of the log tail. */
  maxLen: number;
  /** Days PostgreSQL keeps the class's events; null keeps them forever. */
  retentionDays: number | null;
}

/**
 * The platform's channel classes (ARCHITECTURE.md): every class a service publishes to or consumes,
 * and nothing else. Prices and markets keep 30 days, like the legacy price history; trades,
 * positions, settings and account are kept. Stream lengths are sized so a consumer that was away
 * for a while still reads from Redis: prices tick once a second (20k ≈ 5.5 h), a markets event
 * carries a whole strike table (5k ≈ 1.4 h, ~15 MB).
 */
export const CHANNEL_CLASSES = {
  trades: { maxLen: 1_000, retentionDays: null },
  positions: { maxLen: 1_000, retentionDays: null },
  settings: { maxLen: 100, retentionDays: null },
  account: { maxLen: 1_000, retentionDays: null },
  prices: { maxLen: 20_000, retentionDays: 30 },
  markets: { maxLen: 5_000, retentionDays: 30 },
  system: { maxLen: 10_000, retentionDays: 30 },
} as const satisfies Readonly<Record<string, ChannelClassPolicy>>;

/** One of the platform's channel classes. */
export type ChannelClass = keyof typeof CHANNEL_CLASSES;

/** The platform's channel classes, in the table's order. */
export const CHANNEL_CLASS_NAMES = Object.keys(CHANNEL_CLASSES) as ChannelClass[];
