import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Channels } from '../channels.js';
import type { RedisClient } from '../redis/connection.js';
import type { ReplayOptions, ReplayPage } from '../replay.js';
import type { Committed, TransactionOptions } from '../router.js';
import type { Transaction } from '../transaction.js';

/**
 * What a consumer uses of its router, and nothing more (an EventRouter is one): its connections,
 * the channel rules, where metrics and logs go, and the router's transactions (events published in
 * a handler commit with its effects) and replay (what Redis no longer holds).
 */
export interface ConsumerDeps {
  readonly pool: Pool;
  readonly redis: RedisClient;
  readonly channels: Channels;
  readonly registry: Registry;
  readonly logger: Logger;
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<Committed<T>>;
  replay(channel: string, options: ReplayOptions, within?: { tx: Pick<Transaction, 'client'> }): Promise<ReplayPage>;
}
