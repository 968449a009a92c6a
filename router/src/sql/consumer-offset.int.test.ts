import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import {
  advanceCheckedOffsetsStatement,
  ensureOffset,
  isCheckRefused,
  lockOffsets,
  readOffset,
} from './consumer-offset.js';
import { prepareSessionStatements } from './session-statements.js';

// The offset move a consumer whose handler's effects are all in its transaction sends with COMMIT
// (ConsumeOptions.effects = 'transaction'): nothing was locked before it, so it checks everything.

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** Two channels of a new group, offsets at 3 and 5, heads at 10. */
async function setUp(): Promise<{ group: string; a: string; b: string }> {
  const group = uniqueName('g');
  const [a, b] = [`trades:${uniqueName()}`, `trades:${uniqueName()}`];
  await ensureOffset(pool, group, a, 3);
  await ensureOffset(pool, group, b, 5);
  await pool.query('INSERT INTO channel_head (channel, last_seq) VALUES ($1, 10), ($2, 10)', [a, b]);
  return { group, a, b };
}

/** Sends `statement` in a transaction of its own on a prepared connection: 'committed', or the error. */
async function inTransaction(client: pg.PoolClient, statement: string): Promise<unknown> {
  await prepareSessionStatements(client);
  try {
    await client.query(`BEGIN; ${statement}; COMMIT`);
    return 'committed';
  } catch (error) {
    await client.query('ROLLBACK');
    return error;
  }
}

describe('advanceCheckedOffsetsStatement', () => {
  it('moves every offset from where it is expected within the committed head, or none', async () => {
    const { group, a, b } = await setUp();
    const client = await pool.connect();
    try {
      const move = (ea: number, sa: number, eb: number, sb: number) =>
        advanceCheckedOffsetsStatement(
          group,
          new Map([
            [a, { expected: ea, seq: sa }],
            [b, { expected: eb, seq: sb }],
          ]),
        );
      const offsets = async () => [await readOffset(pool, group, a), await readOffset(pool, group, b)];
      // b is not at 4: refused, and a does not move either.
      const moved = await inTransaction(client, move(3, 4, 4, 6));
      expect(isCheckRefused(moved)).toBe(true);
      expect(await offsets()).toEqual([3, 5]);
      // 11 is above b's committed head.
      expect(isCheckRefused(await inTransaction(client, move(3, 4, 5, 11)))).toBe(true);
      expect(await offsets()).toEqual([3, 5]);
      // A channel without a head (nothing committed on it) takes nothing.
      const none = `trades:${uniqueName()}`;
      await ensureOffset(pool, group, none, 0);
      const onNone = advanceCheckedOffsetsStatement(group, new Map([[none, { expected: 0, seq: 1 }]]));
      expect(isCheckRefused(await inTransaction(client, onNone))).toBe(true);
      expect(await inTransaction(client, move(3, 4, 5, 10))).toBe('committed');
      expect(await offsets()).toEqual([4, 10]);
      // Any other error is not a refusal.
      expect(isCheckRefused(await inTransaction(client, 'SELECT 1 / 0'))).toBe(false);
    } finally {
      client.release();
    }
  });

  it('refuses at once when another transaction holds an offset row, rather than wait for it', async () => {
    const { group, a, b } = await setUp();
    const holder = await pool.connect();
    const client = await pool.connect();
    try {
      // A member applying `a` the locked way holds its row (and may be waiting for rows this
      // transaction's handler locked: waiting here could be a deadlock).
      await holder.query('BEGIN');
      await lockOffsets(holder, group, [a]);
      const moves = new Map([
        [a, { expected: 3, seq: 4 }],
        [b, { expected: 5, seq: 6 }],
      ]);
      // Settles while the holder is still open: had it waited, the statement timeout would end it
      // (query_canceled, not a refusal).
      await client.query("SET statement_timeout = '10s'");
      const refused = await inTransaction(client, advanceCheckedOffsetsStatement(group, moves));
      expect(isCheckRefused(refused)).toBe(true);
      expect((refused as { code?: string }).code).toBe('55P03');
      await holder.query('COMMIT');
      expect(await inTransaction(client, advanceCheckedOffsetsStatement(group, moves))).toBe('committed');
      expect([await readOffset(pool, group, a), await readOffset(pool, group, b)]).toEqual([4, 6]);
      await client.query('RESET statement_timeout');
    } finally {
      holder.release();
      client.release();
    }
  });
});
