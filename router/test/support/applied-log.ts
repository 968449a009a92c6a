import type pg from 'pg';
import type { EventHandler } from '../../src/consume/consumer-options.js';

/**
 * The "effects" of a test handler: one row per application, written in the handler's
 * transaction. No unique key on purpose: an event applied twice shows up as two rows.
 */
export async function createAppliedLog(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS applied (
    id bigserial PRIMARY KEY, group_name text, channel text, seq bigint, event_id uuid, consumer text)`);
}

/** A handler that records each application (and can be told to fail). */
export function recordingHandler(
  group: string,
  consumer: string,
  fail?: (seq: number, channel: string) => boolean,
): EventHandler {
  return async (event, { tx }) => {
    if (fail?.(event.seq, event.channel)) throw new Error(`refusing seq ${event.seq}`);
    await tx.query('INSERT INTO applied (group_name, channel, seq, event_id, consumer) VALUES ($1, $2, $3, $4, $5)', [
      group,
      event.channel,
      event.seq,
      event.event_id,
      consumer,
    ]);
  };
}

/** Seqs applied per channel by a group, in application order. */
export async function appliedSeqs(pool: pg.Pool, group: string, channels: readonly string[]): Promise<number[][]> {
  const { rows } = await pool.query<{ channel: string; seq: string }>(
    'SELECT channel, seq FROM applied WHERE group_name = $1 ORDER BY id',
    [group],
  );
  return channels.map((c) => rows.filter((r) => r.channel === c).map((r) => Number(r.seq)));
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
