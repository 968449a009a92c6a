import type { QueryResultRow } from 'pg';
import { literal, literalArray } from './literals.js';
import type { Queryable } from './queryable.js';

/** Creates a group's offset row for a channel at `initial` unless it exists. */
export async function ensureOffset(db: Queryable, group: string, channel: string, initial: number): Promise<void> {
  await db.query({
    name: 'recio_offset_init',
    text: `INSERT INTO consumer_offset (group_name, channel, applied_seq) VALUES ($1, $2, $3)
           ON CONFLICT (group_name, channel) DO NOTHING`,
    values: [group, channel, initial],
  });
}

/** A group's locked offset on a channel, and the channel's committed head. */
export interface LockedOffset {
  /** The last seq the group applied. */
  applied: number;
  /** The channel's last committed seq (0 before its first event): nothing above it was ever committed. */
  head: number;
}

/**
 * Locks a group's offset row for a channel for the rest of the transaction and returns the
 * applied seq, with the channel's committed head read in the same statement (Redis is never the
 * authority: an entry above the head was not committed, invariant 13). Consumers of one group wait
 * here for each other, so a channel is applied by one of them at a time. A missing row (never
 * expected: members create it before reading) starts at 0, so nothing is skipped.
 */
export async function lockOffset(db: Queryable, group: string, channel: string): Promise<LockedOffset> {
  return (await lockOffsets(db, group, [channel])).get(channel)!;
}

/**
 * lockOffset for several channels in one statement, the function `recio_lock_offsets` (migration
 * 1732560000011): rows are locked in channel order (the sort comes before the row locks), so two
 * such transactions never deadlock on offsets. Missing rows are created at 0 first.
 */
export async function lockOffsets(
  db: Queryable,
  group: string,
  channels: readonly string[],
): Promise<Map<string, LockedOffset>> {
  for (;;) {
    const result = await db.query({
      name: 'recio_offsets_lock',
      text: 'SELECT channel, applied, head FROM recio_lock_offsets($1, $2::text[])',
      values: [group, channels],
    });
    const locked = lockedOffsets(result.rows);
    if (locked.size === channels.length) return locked;
    for (const channel of channels) if (!locked.has(channel)) await ensureOffset(db, group, channel, 0);
  }
}

/** Moves a locked offset to `seq` (the function `recio_advance_offsets`). */
export async function advanceOffset(db: Queryable, group: string, channel: string, seq: number): Promise<void> {
  await db.query({
    name: 'recio_offset_advance',
    text: 'SELECT recio_advance_offsets($1, $2::text[], $3::bigint[])',
    values: [group, [channel], [seq]],
  });
}

/** The applied seq of a group on a channel, or null when it never applied one (no lock). */
export async function readOffset(db: Queryable, group: string, channel: string): Promise<number | null> {
  const result = await db.query<{ applied_seq: number }>({
    name: 'recio_offset_read',
    text: 'SELECT applied_seq::float8 AS applied_seq FROM consumer_offset WHERE group_name = $1 AND channel = $2',
    values: [group, channel],
  });
  return result.rows[0]?.applied_seq ?? null;
}

/**
 * Moves a group's offset past a run of events its handler does not act on (`first`..`last`, no hole),
 * in one statement and no transaction: only while everything before the run is applied, nothing after
 * it is, and the run is within the channel's committed head (invariant 13). False when any of that
 * does not hold: the run then goes through the locked path, which knows what to do.
 */
export async function skipOffset(
  db: Queryable,
  group: string,
  channel: string,
  first: number,
  last: number,
): Promise<boolean> {
  return (await skipOffsets(db, group, new Map([[channel, { first, last }]]))).has(channel);
}

/**
 * skipOffset for the runs of several channels in one statement, each under skipOffset's conditions.
 * Resolves to the channels whose offset moved.
 */
export async function skipOffsets(
  db: Queryable,
  group: string,
  runs: ReadonlyMap<string, { readonly first: number; readonly last: number }>,
): Promise<Set<string>> {
  const list = [...runs];
  const result = await db.query<{ channel: string }>({
    name: 'recio_offsets_skip',
    text: `UPDATE consumer_offset o SET applied_seq = r.last, updated_at = now()
           FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS r(channel, first, last)
           WHERE o.group_name = $1 AND o.channel = r.channel AND o.applied_seq >= r.first - 1 AND o.applied_seq < r.last
             AND r.last <= (SELECT last_seq FROM channel_head h WHERE h.channel = r.channel)
           RETURNING o.channel`,
    values: [group, list.map(([c]) => c), list.map(([, r]) => r.first), list.map(([, r]) => r.last)],
  });
  return new Set(result.rows.map((r) => r.channel));
}

/**
 * lockOffsets as a statement of its own text, to send in BEGIN's round trip
 * (TransactionOptions.opening): the function `recio_lock_offsets` (migration 1732560000011) returns
 * the rows of lockOffsets, none for a channel without an offset row. Read them with lockedOffsets.
 */
export function lockOffsetsStatement(group: string, channels: readonly string[]): string {
  return `SELECT channel, applied, head FROM recio_lock_offsets(${literal(group)}, ${literalArray(channels, 'text')})`;
}

/** The rows of lockOffsetsStatement, by channel. */
export function lockedOffsets(rows: readonly QueryResultRow[]): Map<string, LockedOffset> {
  return new Map(rows.map((r) => [String(r['channel']), { applied: Number(r['applied']), head: Number(r['head']) }]));
}

/** Moves locked offsets to their seqs, as a statement to send with COMMIT (Transaction.closeWith). */
export function advanceOffsetsStatement(group: string, to: ReadonlyMap<string, number>): string {
  const seqs = [...to.values()].map((seq) => {
    if (!Number.isSafeInteger(seq)) throw new RangeError(`not a seq: ${seq}`);
    return String(seq);
  });
  return `SELECT recio_advance_offsets(${literal(group)}, ${literalArray([...to.keys()], 'text')}, ARRAY[${seqs.join(', ')}]::bigint[])`;
}
