/**
 * Every Redis key the platform writes, each family built by one function (ARCHITECTURE "Channel
 * names", invariants 3, 5, 7, 11). The ACL rules of the charts and of `make dev`, the key test and
 * the docs derive their patterns from the same builders the code calls, so a key a service writes is
 * always one its ACL user may write.
 */

/** What a key holds (the ACL test writes each family with its own commands). */
export type KeyKind = 'stream' | 'string' | 'zset';

/** A family of Redis keys, all built by one function. */
export interface KeyFamily<A extends string[] = string[]> {
  /** Short name, for docs and test output. */
  readonly name: string;
  readonly kind: KeyKind;
  /** Whether every key of the family carries a TTL (invariant 11: only such keys may be evicted). */
  readonly expires: boolean;
  /** Builds one key (a method signature, so a family of any arity is a `KeyFamily`). */
  key(this: void, ...args: A): string;
  /** Every key of the family as a glob (ACL `~pattern`, SCAN MATCH): the builder with `*` for each argument. */
  readonly pattern: string;
}

function family<A extends string[]>(
  name: string,
  kind: KeyKind,
  expires: boolean,
  key: (...args: A) => string,
): KeyFamily<A> {
  const stars = Array.from({ length: key.length }, () => '*') as A;
  return { name, kind, expires, key, pattern: key(...stars) };
}

/** A channel's events: entry id `<seq>-0`; the braces make the channel a Redis Cluster hash tag. */
export const STREAM_KEY = family('stream', 'stream', false, (channel: string) => `stream:{${channel}}`);

/** A channel's dead letters (in its stream's hash slot). */
export const DEAD_LETTER_KEY = family('dead-letters', 'stream', false, (channel: string) => `dlq:{${channel}}`);

/** Kept by the active relay: when it is gone, Redis lost its data and every channel is compared. */
export const RELAY_MARKER_KEY = family('relay-marker', 'string', false, () => 'recio:relay:marker');

/** A symbol's current price (the proposal's 2–5 s TTL): a page load reads it instead of PostgreSQL. */
export const PRICE_CACHE_KEY = family(
  'price-cache',
  'string',
  true,
  (symbol: string) => `cache:prices:${symbol}:current`,
);

/** A symbol's recent prices (score = ms), trimmed to the longest momentum window. */
export const PRICE_SERIES_KEY = family('price-series', 'zset', false, (symbol: string) => `ts:prices:${symbol}`);

/** A user's open trades with live pnl, for the UI (TTL). */
export const LIVE_TRADES_KEY = family('live-trades', 'string', true, (userId: string) => `cache:trades:${userId}:live`);

/**
 * What a trader's page starts from (trades, account, positions, settings, each with the seq of its
 * channel it reflects), kept by main-app so a page load costs no PostgreSQL query (TTL).
 */
export const TRADER_VIEW_KEY = family('trader-view', 'string', true, (userId: string) => `cache:view:${userId}`);

/**
 * A user's request budget of one kind (orders, settings, reads, replay), shared by every main-app
 * replica; expires with its window. Written by rate-limiter-flexible as `<keyPrefix>:<user>`.
 */
export const RATE_LIMIT_KEY = family(
  'rate-limit',
  'string',
  true,
  (kind: string, userId: string) => `ratelimit:${kind}:${userId}`,
);

/**
 * A consumer group's state version: bumped after every commit that changes what its tick handlers
 * read (settings, live trades, entry states), so each replica reloads its in-memory copy from
 * PostgreSQL only when it changed, not on every tick (TTL: a lost key only means one reload).
 */
export const STATE_VERSION_KEY = family('state-version', 'string', true, (group: string) => `cache:version:${group}`);

/** Every key family, for tests and docs. */
export const KEY_FAMILIES: readonly KeyFamily[] = [
  STREAM_KEY,
  DEAD_LETTER_KEY,
  RELAY_MARKER_KEY,
  PRICE_CACHE_KEY,
  PRICE_SERIES_KEY,
  LIVE_TRADES_KEY,
  TRADER_VIEW_KEY,
  RATE_LIMIT_KEY,
  STATE_VERSION_KEY,
];

/**
 * The pub/sub channel that hears a channel's name when its stream is created (wildcard
 * subscriptions pick up new channels from it). Events themselves are PUBLISHed on their own channel
 * name (`trades:user_0001`): the consumers' doorbells and the gateway's fan-out listen there.
 */
export const ANNOUNCE_CHANNEL = 'recio:channels';

/** The pub/sub pattern of every event channel of a class (an ACL `&pattern`, a PSUBSCRIBE). */
export function classPubsubPattern(cls: string): string {
  return `${cls}:*`;
}
