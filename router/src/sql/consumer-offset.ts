import type { QueryResultRow } from 'pg';
import { errorCode } from '../errors.js';
import { execute, type SessionStatement } from './literals.js';
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

// Locks the group's offset rows of the channels in channel order (the sort comes before the row
// locks, so two such transactions never deadlock on offsets), with each channel's committed head. A
// channel without an offset row returns no row.
const LOCK_OFFSETS = `SELECT o.channel, o.applied_seq::float8 AS applied, coalesce(h.last_seq, 0)::float8 AS head
  FROM consumer_offset o LEFT JOIN channel_head h ON h.channel = o.channel
  WHERE o.group_name = $1 AND o.channel = ANY ($2::text[])
  ORDER BY o.channel
  FOR UPDATE OF o`;

// Moves the group's (locked) offsets of the channels to the seqs.
const ADVANCE_OFFSETS = `UPDATE consumer_offset o SET applied_seq = v.seq, updated_at = now()
  FROM unnest($2::text[], $3::bigint[]) AS v(channel, seq)
  WHERE o.group_name = $1 AND o.channel = v.channel`;

// Moves the group's offsets of the channels from where the member expects them to the seqs, each
// only within the channel's committed head (invariant 13), and fails the statement unless every one
// moved: false cast to the domain recio_offsets_as_expected (migration 1732560000013) raises its check
// violation, and the COMMIT sent after it never runs. No lock was taken before, and none is waited for
// here: each row is locked NOWAIT before it is updated, so a row another transaction holds (a member
// applying the channel the locked way, or about to move it) fails the statement at once with
// lock_not_available. A checked transaction, which may hold business rows its handler locked, thus
// never waits for a member that holds the offset and may be waiting for those rows (a deadlock).
const ADVANCE_CHECKED_OFFSETS = `WITH locked AS (
    SELECT o.channel FROM consumer_offset o
    WHERE o.group_name = $1 AND o.channel = ANY ($2::text[])
    FOR UPDATE NOWAIT),
  moved AS (
    UPDATE consumer_offset o SET applied_seq = v.seq, updated_at = now()
    FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS v(channel, expected, seq)
    WHERE o.group_name = $1 AND o.channel = v.channel AND o.applied_seq = v.expected
      AND v.seq <= (SELECT h.last_seq FROM channel_head h WHERE h.channel = v.channel)
      AND o.channel IN (SELECT l.channel FROM locked l)
    RETURNING 1)
  SELECT (count(*) = cardinality($2::text[]))::recio_offsets_as_expected AS moved FROM moved`;

/** The constraint (and domain) whose violation is ADVANCE_CHECKED_OFFSETS refusing to commit. */
const OFFSETS_AS_EXPECTED = 'recio_offsets_as_expected';
/** SQLSTATE of a NOWAIT lock on a row another transaction holds. */
const LOCK_NOT_AVAILABLE = '55P03';

/** LOCK_OFFSETS as a session statement (prepared per connection), to ride BEGIN's round trip. */
export const LOCK_OFFSETS_STATEMENT: SessionStatement = {
  name: 'recio_session_lock_offsets',
  types: ['text', 'text[]'],
  text: LOCK_OFFSETS,
};

/** ADVANCE_OFFSETS as a session statement, to ride COMMIT's round trip. */
export const ADVANCE_OFFSETS_STATEMENT: SessionStatement = {
  name: 'recio_session_advance_offsets',
  types: ['text', 'text[]', 'bigint[]'],
  text: ADVANCE_OFFSETS,
};

/** ADVANCE_CHECKED_OFFSETS as a session statement, to ride COMMIT's round trip. */
export const ADVANCE_CHECKED_OFFSETS_STATEMENT: SessionStatement = {
  name: 'recio_session_advance_checked_offsets',
  types: ['text', 'text[]', 'bigint[]', 'bigint[]'],
  text: ADVANCE_CHECKED_OFFSETS,
};

/**
 * lockOffset for several channels in one statement: rows are locked in channel order, so two such
 * transactions never deadlock on offsets. Missing rows are created at 0 first.
 */
export async function lockOffsets(
  db: Queryable,
  group: string,
  channels: readonly string[],
): Promise<Map<string, LockedOffset>> {
  for (;;) {
    const result = await db.query({
      name: 'recio_offsets_lock',
      text: LOCK_OFFSETS,
      values: [group, channels],
    });
    const locked = lockedOffsets(result.rows);
    if (locked.size === channels.length) return locked;
    for (const channel of channels) if (!locked.has(channel)) await ensureOffset(db, group, channel, 0);
  }
}

/** Moves a locked offset to `seq`. */
export async function advanceOffset(db: Queryable, group: string, channel: string, seq: number): Promise<void> {
  await db.query({
    name: 'recio_offset_advance',
    text: ADVANCE_OFFSETS,
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
 * (TransactionOptions.opening): `EXECUTE` of its session statement, returning the rows of
 * lockOffsets, none for a channel without an offset row. Read them with lockedOffsets.
 */
export function lockOffsetsStatement(group: string, channels: readonly string[]): string {
  return execute(LOCK_OFFSETS_STATEMENT, [group, channels]);
}

/** The rows of lockOffsetsStatement, by channel. */
export function lockedOffsets(rows: readonly QueryResultRow[]): Map<string, LockedOffset> {
  return new Map(rows.map((r) => [String(r['channel']), { applied: Number(r['applied']), head: Number(r['head']) }]));
}

/** Moves locked offsets to their seqs, as a statement to send with COMMIT (Transaction.closeWith). */
export function advanceOffsetsStatement(group: string, to: ReadonlyMap<string, number>): string {
  return execute(ADVANCE_OFFSETS_STATEMENT, [group, [...to.keys()], [...to.values()]]);
}

/** An offset move from where the member expects the offset to be. */
export interface CheckedMove {
  /** The applied seq the member expects the offset at. */
  expected: number;
  /** Where it moves to. */
  seq: number;
}

/**
 * Moves offsets that were not locked, as a statement to send with COMMIT (Transaction.closeWith):
 * each only from where `moves` expects it and within the channel's committed head, and only when no
 * other transaction holds its row; otherwise the statement fails (isCheckRefused) and the
 * transaction rolls back.
 */
export function advanceCheckedOffsetsStatement(group: string, moves: ReadonlyMap<string, CheckedMove>): string {
  const list = [...moves];
  return execute(ADVANCE_CHECKED_OFFSETS_STATEMENT, [
    group,
    list.map(([c]) => c),
    list.map(([, m]) => m.expected),
    list.map(([, m]) => m.seq),
  ]);
}

/**
 * Whether `error` is advanceCheckedOffsetsStatement refusing: an offset was not where it was
 * expected, a run was above its channel's committed head, or another transaction held an offset row.
 */
export function isCheckRefused(error: unknown): boolean {
  const code = errorCode(error);
  return (
    (code === '23514' && (error as { constraint?: unknown }).constraint === OFFSETS_AS_EXPECTED) ||
    code === LOCK_NOT_AVAILABLE
  );
}
