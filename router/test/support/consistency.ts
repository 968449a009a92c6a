import { seqOfEntryId } from '@recio/contract';
import type pg from 'pg';
import { streamKey } from '../../src/channels.js';
import type { RedisClient } from '../../src/redis/connection.js';

/** For each channel: event ids in seq order from PostgreSQL, and from its Redis stream. */
export async function pgAndRedis(
  pool: pg.Pool,
  redis: RedisClient,
  channels: readonly string[],
): Promise<{ pg: string[][]; redis: string[][] }> {
  const fromPg = await Promise.all(
    channels.map(async (channel) => {
      const { rows } = await pool.query<{ event_id: string; seq: string }>(
        'SELECT event_id, seq FROM event_log WHERE channel = $1 ORDER BY seq',
        [channel],
      );
      return rows.map((r) => `${r.seq}:${r.event_id}`);
    }),
  );
  const fromRedis = await Promise.all(
    channels.map(async (channel) =>
      (await redis.xrange(streamKey(channel), '-', '+')).map(([id, f]) => `${seqOfEntryId(id)}:${f[1]}`),
    ),
  );
  return { pg: fromPg, redis: fromRedis };
}
