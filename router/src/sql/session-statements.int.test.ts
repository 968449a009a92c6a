import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';
import { LOCK_OFFSETS_STATEMENT } from './consumer-offset.js';

// The statements that ride BEGIN's and COMMIT's round trips are prepared once per connection
// (session-statements.ts). Each test uses a pool of one connection, the router's, so what is done to
// "the connection" is done to the one its transactions run on.

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

/** The statements prepared on the pool's one connection. */
async function preparedOn(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT name FROM pg_prepared_statements WHERE name LIKE 'recio_session_%' ORDER BY name",
  );
  return rows.map((r) => r.name);
}

describe('session statements', () => {
  it('are prepared on a connection before its first transaction, once', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const router = await testRouter(db.url, { database: pool });
    try {
      expect(await preparedOn(pool)).toEqual([]);
      const channel = `trades:${uniqueName()}`;
      await router.transaction(async (tx) => void tx.publish(channel, 't', { n: 1 }));
      expect(await preparedOn(pool)).toEqual([
        'recio_session_advance_checked_offsets',
        'recio_session_advance_offsets',
        'recio_session_insert_event',
        'recio_session_insert_events',
        'recio_session_lock_offsets',
      ]);
      // A second transaction on the same connection prepares nothing again (it would fail if it did).
      const { events } = await router.transaction(
        async (tx) =>
          void tx.publishMany([
            { channel, type: 't', data: { n: 2 } },
            { channel, type: 't', data: { n: 3 } },
          ]),
      );
      expect(events.map((e) => e.seq)).toEqual([2, 3]);
    } finally {
      await router.close();
      await pool.end();
    }
  });

  it('are prepared again on a connection that lost them, after the transaction that found them gone', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const router = await testRouter(db.url, { database: pool });
    try {
      const channel = `trades:${uniqueName()}`;
      await router.transaction(async (tx) => void tx.publish(channel, 't', { n: 1 }));
      await pool.query('DEALLOCATE recio_session_insert_event');
      // That transaction's events could not be inserted: it rolls back whole, with PostgreSQL's code.
      await expect(router.transaction(async (tx) => void tx.publish(channel, 't', { n: 2 }))).rejects.toMatchObject({
        code: '26000',
      });
      const { events } = await router.transaction(async (tx) => void tx.publish(channel, 't', { n: 3 }));
      expect(events.map((e) => [e.seq, e.data])).toEqual([[2, { n: 3 }]]);
    } finally {
      await router.close();
      await pool.end();
    }
  });

  it('take a connection that holds some of them already (another router in the process prepared them)', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const s = LOCK_OFFSETS_STATEMENT;
    await pool.query(`PREPARE ${s.name} (${s.types.join(', ')}) AS ${s.text}`);
    const router = await testRouter(db.url, { database: pool });
    try {
      const channel = `trades:${uniqueName()}`;
      const { events } = await router.transaction(async (tx) => void tx.publish(channel, 't', { n: 1 }));
      expect(events.map((e) => e.seq)).toEqual([1]);
      expect(await preparedOn(pool)).toHaveLength(5);
    } finally {
      await router.close();
      await pool.end();
    }
  });
});
