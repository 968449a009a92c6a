import { consumerGroups } from '@recio/platform';
import { isLatestChannel, seqOfEntryId, STREAM_KEY } from '@recio/contract';
import { replyFields } from '@recio/router';
import type { Redis } from 'ioredis';
import type pg from 'pg';

const streamKey = STREAM_KEY.key;

/** Why the platform is not at rest yet (empty: at rest). */
export type Unsettled = string[];

/** The LIKE pattern of a channel pattern (`trades:*` → `trades:%`). */
const like = (pattern: string): string => pattern.replace(/\*$/, '%');

/** The part of a Redis client the checks use (the run's connection to its master). */
export type QuiescenceRedis = Pick<Redis, 'xrevrange' | 'call'>;

/**
 * Whether everything the last world step caused has happened, from what PostgreSQL and Redis hold:
 * 1. the price watchdog published the tick of `simNowMs` (`prices:btc` is latest-value: its stream's
 *    last seq is the newest second's time);
 * 2. the account mirror has every fill and settlement the exchange reports per user;
 * 3. every consumer group of the catalogue has finished (nothing undelivered or pending in Redis)
 *    every latest-value channel it reads;
 * 4. every consumer group has applied every exactly-once channel it follows up to its head.
 * Checked in this order: a service can only create work for a later check, never an earlier
 * one, so one pass that finds nothing pending means nothing more will happen until the world moves.
 */
export async function unsettled(
  db: pg.Pool,
  redis: QuiescenceRedis,
  simNowMs: number,
  exchange: ReadonlyMap<string, { fills: number; settlements: number }>,
): Promise<Unsettled> {
  const out: Unsettled = [];
  const [top] = await redis.xrevrange(streamKey('prices:btc'), '+', '-', 'COUNT', 1);
  if ((top ? seqOfEntryId(top[0]) : 0) < simNowMs)
    out.push(`price of ${new Date(simNowMs).toISOString()} not published`);
  if (out.length > 0) return out;

  const { rows: mirror } = await db.query<{ user_id: string; fills: number; settlements: number }>(
    `SELECT u.user_id,
            (SELECT count(*)::int FROM account_fill f WHERE f.user_id = u.user_id) AS fills,
            (SELECT count(*)::int FROM account_settlement s WHERE s.user_id = u.user_id) AS settlements
       FROM unnest($1::text[]) AS u(user_id)`,
    [[...exchange.keys()]],
  );
  for (const m of mirror) {
    const e = exchange.get(m.user_id)!;
    if (m.fills !== e.fills || m.settlements !== e.settlements) {
      out.push(
        `account ${m.user_id}: mirror has ${m.fills}/${m.settlements} fills/settlements, exchange ${e.fills}/${e.settlements}`,
      );
    }
  }
  if (out.length > 0) return out;

  for (const { group } of consumerGroups()) {
    for (const channel of group.channels.filter(isLatestChannel)) {
      const rows = ((await redis.call('XINFO', 'GROUPS', streamKey(channel)).catch(() => [])) as unknown[][]).map(
        replyFields,
      );
      const mine = rows.find((r) => r.name === group.name);
      if (!mine) out.push(`${group.name} has no group on ${channel} yet`);
      else if (Number(mine.pending) > 0 || Number(mine.lag ?? 1) > 0)
        out.push(`${group.name} has ${String(mine.lag)} undelivered, ${String(mine.pending)} pending on ${channel}`);
    }
  }
  // Latest-value handlers (ticks) publish the events the exactly-once check below waits for:
  // checked first, and only once they are done.
  if (out.length > 0) return out;

  const groups = consumerGroups().flatMap(({ group }) => group.channels.map((c) => [group.name, like(c)]));
  const { rows: lag } = await db.query<{ group_name: string; channel: string; behind: string }>(
    `SELECT g.name AS group_name, h.channel, h.last_seq - coalesce(o.applied_seq, 0) AS behind
       FROM unnest($1::text[], $2::text[]) AS g(name, pattern)
       JOIN channel_head h ON h.channel LIKE g.pattern
       LEFT JOIN consumer_offset o ON o.group_name = g.name AND o.channel = h.channel
      WHERE h.last_seq > coalesce(o.applied_seq, 0)`,
    [groups.map((g) => g[0]), groups.map((g) => g[1])],
  );
  for (const l of lag) out.push(`${l.group_name} is ${l.behind} behind on ${l.channel}`);

  return out;
}
