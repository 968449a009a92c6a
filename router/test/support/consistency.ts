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

/**
 * Whether a stream holds a channel's history as the router keeps it: its newest `keep` events (all,
 * when there are fewer) exactly as PostgreSQL has them, in order, once, ending at the head; and
 * nothing else but older committed events, in order. A stream is trimmed to about its class's
 * maxLen, and a relay that found one further behind than that appends only that tail (a permitted
 * hole: older events come from PostgreSQL through replay), so older entries may be missing.
 */
export function streamMatchesHistory(fromPg: readonly string[], fromRedis: readonly string[], keep: number): boolean {
  const tail = fromPg.slice(Math.max(0, fromPg.length - keep));
  if (fromRedis.slice(fromRedis.length - tail.length).join() !== tail.join()) return false;
  const committed = new Set(fromPg);
  const seqs = fromRedis.map((id) => Number(id.split(':')[0]));
  return fromRedis.every((id) => committed.has(id)) && seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!);
}
