import { channelOf, TRADER_VIEW_KEY } from '@recio/contract';
import {
  FillRecord,
  PositionRecord,
  SettlementRecord,
  SettingsUpdated,
  TradeSnapshot,
  type TradeStatus,
} from '@recio/platform';
import type { RedisClient } from '@recio/router';
import type { CacheWrites } from '@recio/service-kit';
import type pg from 'pg';
import { z } from 'zod';
import { listFills, listPositions, listSettlements, readBalance } from './account-query.js';
import { readSettings } from './settings-store.js';
import { listTrades } from './trade-query.js';

/** The statuses of a trade the page lists as active (the rest is history). */
export const LIVE_TRADE_STATUSES: readonly TradeStatus[] = ['pending', 'open', 'closing'];
/** How many of a trader's newest trades, fills and settlements a page starts with. */
export const VIEW_RECENT = { trades: 50, liveTrades: 200, fills: 20, settlements: 20 } as const;

const Seq = z.number().int().nonnegative();

/**
 * What a trader's page starts from: each part with the seq of its channel it reflects, so the page
 * subscribes from there and the gateway hands it whatever committed since (from Redis), however
 * old the view. `v` is the format: a view an older release cached reads as a miss.
 */
export const TraderView = z.object({
  v: z.literal(1),
  userId: z.string(),
  trades: z.object({ seq: Seq, live: z.array(TradeSnapshot), recent: z.array(TradeSnapshot) }),
  account: z.object({
    seq: Seq,
    balanceCents: z.number().int().nullable(),
    fills: z.array(FillRecord),
    settlements: z.array(SettlementRecord),
  }),
  positions: z.object({ seq: Seq, positions: z.array(PositionRecord.extend({ updatedAt: z.number() })) }),
  settings: z.object({ seq: Seq, version: z.number().int().nonnegative(), settings: SettingsUpdated.shape.settings }),
});
export type TraderView = z.infer<typeof TraderView>;

/** The channels a trader's view reflects, by part. */
export function viewChannels(userId: string) {
  return {
    trades: channelOf('trades', userId),
    account: channelOf('account', userId),
    positions: channelOf('positions', userId),
    settings: channelOf('settings', userId),
  };
}

/**
 * Reads a trader's view from PostgreSQL: one read-only REPEATABLE READ transaction, so every part and
 * the channel heads are of the same instant (an event and its rows commit together: the view at
 * head N holds exactly the effects of events 1..N).
 */
export async function readTraderView(pool: pg.Pool, userId: string): Promise<TraderView> {
  const channels = viewChannels(userId);
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const heads = await client.query<{ channel: string; last_seq: number }>(
      'SELECT channel, last_seq::float8 AS last_seq FROM channel_head WHERE channel = ANY($1::text[])',
      [Object.values(channels)],
    );
    const head = (channel: string) => heads.rows.find((r) => r.channel === channel)?.last_seq ?? 0;
    // One after the other: a transaction's statements share its one connection.
    const live = await listTrades(client, {
      userId,
      statuses: LIVE_TRADE_STATUSES,
      limit: VIEW_RECENT.liveTrades,
      before: null,
    });
    const recent = await listTrades(client, { userId, statuses: null, limit: VIEW_RECENT.trades, before: null });
    const balance = await readBalance(client, userId);
    const fills = await listFills(client, { userId, limit: VIEW_RECENT.fills, before: null });
    const settlements = await listSettlements(client, { userId, limit: VIEW_RECENT.settlements, before: null });
    const positions = await listPositions(client, userId);
    const settings = await readSettings(client, userId);
    await client.query('COMMIT');
    return {
      v: 1,
      userId,
      trades: { seq: head(channels.trades), live: live.trades, recent: recent.trades },
      account: {
        seq: head(channels.account),
        balanceCents: balance.balanceCents,
        fills: fills.items,
        settlements: settlements.items,
      },
      positions: { seq: head(channels.positions), positions },
      settings: { seq: head(channels.settings), version: settings.version, settings: settings.settings },
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Where a view came from: the Redis cache, or PostgreSQL (a miss, then cached). */
export type ViewSource = 'cache' | 'database';

/**
 * A trader's view for a page load: from the Redis cache when it holds one (no PostgreSQL query),
 * else from PostgreSQL, then cached for `ttlSeconds`. The cache is never invalidated: a view
 * carries its seqs, and the page replays from them, so an older view costs only a longer replay
 * from Redis. `fresh` skips the cache (the page asks for it when the gateway can no longer replay
 * from the seqs it has). Page loads of one user that miss at once share one read of PostgreSQL
 * (a fresh one too: any view PostgreSQL gives is newer than the seqs the gateway could not
 * replay from). Redis is a cache here: a view it cannot give or that fails its schema is
 * read from PostgreSQL.
 */
export class TraderViews {
  readonly #pool: pg.Pool;
  readonly #redis: RedisClient;
  readonly #cache: CacheWrites;
  readonly #ttlSeconds: number;
  /** Reads of PostgreSQL under way, per user: page loads that miss together wait for one read. */
  readonly #reading = new Map<string, Promise<TraderView>>();

  constructor(deps: { pool: pg.Pool; redis: RedisClient; cache: CacheWrites; ttlSeconds: number }) {
    this.#pool = deps.pool;
    this.#redis = deps.redis;
    this.#cache = deps.cache;
    this.#ttlSeconds = deps.ttlSeconds;
  }

  async get(userId: string, options: { fresh?: boolean } = {}): Promise<{ view: TraderView; source: ViewSource }> {
    const key = TRADER_VIEW_KEY.key(userId);
    if (!options.fresh) {
      const cached = await this.#cache.read(TRADER_VIEW_KEY, () => this.#redis.get(key), decodeView(userId));
      if (cached) return { view: cached, source: 'cache' };
    }
    let reading = this.#reading.get(userId);
    if (!reading) {
      reading = this.#read(userId).finally(() => this.#reading.delete(userId));
      this.#reading.set(userId, reading);
    }
    return { view: await reading, source: 'database' };
  }

  async #read(userId: string): Promise<TraderView> {
    const view = await readTraderView(this.#pool, userId);
    await this.#cache.attempt(TRADER_VIEW_KEY, () =>
      this.#redis.set(TRADER_VIEW_KEY.key(userId), JSON.stringify(view), 'EX', this.#ttlSeconds),
    );
    return view;
  }
}

function decodeView(userId: string): (text: string) => TraderView | null {
  return (text) => {
    const parsed = TraderView.safeParse(JSON.parse(text));
    // A view under another user's key is no view of this one (the key is derived from the user).
    return parsed.success && parsed.data.userId === userId ? parsed.data : null;
  };
}
