import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import { testRouter } from '../../test/support/routers.js';
import type { EventRouter } from '../router.js';
import type { Transaction } from '../transaction.js';
import { allowDeferredBegin, deferBegin, takeDeferred } from './deferred-begin.js';

// BEGIN rides a transaction's first statement (deferred-begin.ts). What matters: the round trips
// saved, and that a statement never runs outside its transaction, not even when BEGIN (or what is
// sent with it) fails.

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await pool.query('CREATE TABLE biz (id text PRIMARY KEY)');
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

const rows = async (id: string): Promise<number> =>
  (await pool.query('SELECT 1 FROM biz WHERE id LIKE $1', [`${id}%`])).rowCount ?? 0;

/** Round trips the router has sent so far (its statement counter: one per query sent). */
const roundTrips = async (router: EventRouter): Promise<number> =>
  (await router.registry.getSingleMetric('recio_pg_statements_total')!.get()).values.reduce((n, v) => n + v.value, 0);

/** Whether `client` is outside a transaction block (SAVEPOINT exists only inside one). */
const outsideTransaction = (client: pg.ClientBase): Promise<boolean> =>
  client.query('SAVEPOINT probe').then(
    async () => {
      await client.query('ROLLBACK');
      return false;
    },
    (err: { code?: string }) => err.code === '25P01',
  );

/** Runs `fn` with the one client of a pool of its own that takes deferred statements. */
async function withDeferringClient(fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const own = new pg.Pool({ connectionString: db.url, max: 1 });
  allowDeferredBegin(own);
  const client = await own.connect();
  try {
    await fn(client);
  } finally {
    client.release();
    await own.end();
  }
}

describe('BEGIN with the first statement', () => {
  it('saves a round trip in every kind of transaction, and a transaction that sends nothing sends nothing', async () => {
    const router = await testRouter(db.url, { poolSize: 1 });
    try {
      const channel = `trades:${uniqueName()}`;
      await router.transaction(async () => undefined); // the connection's PREPARE
      const count = async (fn: Parameters<EventRouter['transaction']>[0], options = {}): Promise<number> => {
        const before = await roundTrips(router);
        await router.transaction(fn, options);
        return (await roundTrips(router)) - before;
      };
      const id = uniqueName('d');
      // A statement with parameters, then the event with COMMIT: 2 (BEGIN, statement, COMMIT were 3).
      expect(
        await count(async (tx) => {
          await tx.query('INSERT INTO biz VALUES ($1)', [`${id}-1`]);
          tx.publish(channel, 't', {});
        }),
      ).toBe(2);
      // A statement without parameters (a simple query).
      expect(await count(async (tx) => void (await tx.query(`INSERT INTO biz VALUES ('${id}-2')`)))).toBe(2);
      // Through the client, as the router's own parts use it; relaxed (SET LOCAL goes with BEGIN too).
      expect(
        await count(async (tx) => void (await tx.client.query('INSERT INTO biz VALUES ($1)', [`${id}-3`])), {
          relaxedCommit: true,
        }),
      ).toBe(2);
      // Only events: BEGIN, the insert and COMMIT in one.
      expect(await count(async (tx) => void tx.publish(channel, 't', {}))).toBe(1);
      // Nothing at all.
      expect(await count(async () => undefined)).toBe(0);
      expect(await rows(id)).toBe(3);
    } finally {
      await router.close();
    }
  });

  it('runs the first statement inside the transaction: a rollback takes it back, and results are the caller’s', async () => {
    const router = await testRouter(db.url, { poolSize: 2 });
    try {
      const id = uniqueName('r');
      for (const first of [
        (tx: Transaction) => tx.query('INSERT INTO biz VALUES ($1)', [id]),
        (tx: Transaction) => tx.query(`INSERT INTO biz VALUES ('${id}')`),
      ]) {
        await expect(
          router.transaction(async (tx) => {
            await first(tx);
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        expect(await rows(id)).toBe(0);
      }
      // A relaxed transaction's first statement sees its SET LOCAL; a text of two statements gives two results.
      const { value } = await router.transaction(
        async (tx) => {
          const setting = await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
          const two = (await tx.client.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
          return [setting.rows, two.map((r) => r.rows)];
        },
        { relaxedCommit: true },
      );
      expect(value).toEqual([[{ synchronous_commit: 'off' }], [[{ a: 1 }], [{ b: 2 }]]]);
      // A named statement: on its first use on a connection BEGIN goes alone, then with it.
      const named = { name: 'deferred-begin-named', text: 'SELECT $1::int + 1 AS n', values: [41] };
      for (let i = 0; i < 3; i++) {
        const { value: n } = await router.transaction(async (tx) => (await tx.query(named)).rows[0]);
        expect(n).toEqual({ n: 42 });
      }
    } finally {
      await router.close();
    }
  });

  it('never runs a statement when what went with it failed, in any of the ways it is sent', async () => {
    await withDeferringClient(async (client) => {
      await client.query({
        name: 'deferred-begin-insert',
        text: 'INSERT INTO biz VALUES ($1)',
        values: [uniqueName()],
      });
      const id = uniqueName('f');
      const ways: [string, () => Promise<unknown>][] = [
        ['with parameters', () => client.query('INSERT INTO biz VALUES ($1)', [`${id}-a`])],
        ['without', () => client.query(`INSERT INTO biz VALUES ('${id}-b')`)],
        [
          'named, parsed',
          () =>
            client.query({ name: 'deferred-begin-insert', text: 'INSERT INTO biz VALUES ($1)', values: [`${id}-c`] }),
        ],
        [
          'named, new',
          () => client.query({ name: 'deferred-begin-new', text: 'INSERT INTO biz VALUES ($1)', values: [`${id}-d`] }),
        ],
      ];
      for (const [way, send] of ways) {
        // A failing statement ahead of BEGIN stands for a BEGIN that fails (which cannot be made
        // to): no transaction is open when the statement would run, so running it would commit it.
        expect(deferBegin(client, ['SELECT 1 / 0', 'BEGIN'])).toBe(true);
        await expect(send(), way).rejects.toMatchObject({ code: '22012' });
        // BEGIN never ran, so it still waits for the next statement (which would carry it).
        expect(takeDeferred(client), way).toEqual(['SELECT 1 / 0', 'BEGIN']);
        expect(await rows(id), way).toBe(0);
        expect(await outsideTransaction(client), way).toBe(true);
      }
      // Sent at once: the second waits for the first, and carries BEGIN again when it did not run.
      expect(deferBegin(client, ['SELECT 1 / 0', 'BEGIN'])).toBe(true);
      const both = await Promise.allSettled([
        client.query('INSERT INTO biz VALUES ($1)', [`${id}-g`]),
        client.query(`INSERT INTO biz VALUES ('${id}-h')`),
      ]);
      expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(await rows(id)).toBe(0);
      expect(takeDeferred(client)).toEqual(['SELECT 1 / 0', 'BEGIN']); // still waiting: it never ran
      expect(await outsideTransaction(client)).toBe(true);
      // A first statement refused before anything is sent (and the error caught): the next one
      // still carries BEGIN, so it runs inside the transaction.
      expect(deferBegin(client, ['BEGIN'])).toBe(true);
      await expect(client.query({ text: 'SELECT $1::int', values: 'x' as never })).rejects.toThrow();
      await client.query('INSERT INTO biz VALUES ($1)', [`${id}-i`]);
      await client.query('ROLLBACK');
      expect(await rows(id)).toBe(0);
      // A statement that fails after BEGIN ran: BEGIN went out, the transaction needs its ROLLBACK.
      for (const failing of [() => client.query('SELECT 1 / 0'), () => client.query('SELECT $1::int / 0', [1])]) {
        expect(deferBegin(client, ['BEGIN'])).toBe(true);
        await expect(failing()).rejects.toMatchObject({ code: '22012' });
        expect(takeDeferred(client)).toBeUndefined();
        await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' }); // aborted, inside BEGIN
        await client.query('ROLLBACK');
      }
      // The same with a callback: the error reaches it, the statement never ran.
      expect(deferBegin(client, ['SELECT 1 / 0', 'BEGIN'])).toBe(true);
      const called = await new Promise<unknown>((resolve) => {
        void client.query('INSERT INTO biz VALUES ($1)', [`${id}-f`], (err: Error) => resolve(err));
      });
      expect(called).toMatchObject({ code: '22012' });
      expect(await rows(id)).toBe(0);
      // A custom query cannot carry BEGIN: refused, and BEGIN still waits for the next statement.
      expect(deferBegin(client, ['BEGIN'])).toBe(true);
      expect(() => client.query(new pg.Query('SELECT 1'))).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_QUERY' }) as Error,
      );
      const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) => {
        void client.query('SELECT $1::int AS n', [7], (err: Error, result: pg.QueryResult) =>
          err ? reject(err) : resolve(result),
        );
      });
      expect(viaCallback.rows).toEqual([{ n: 7 }]);
      expect(await outsideTransaction(client)).toBe(false); // inside the BEGIN that rode it (rolled back)
      // The connection works afterwards, and the named statement too.
      expect(deferBegin(client, ['BEGIN'])).toBe(true);
      await client.query({ name: 'deferred-begin-new', text: 'INSERT INTO biz VALUES ($1)', values: [`${id}-e`] });
      expect(await rows(id)).toBe(0); // not committed yet: it runs inside BEGIN
      await client.query('COMMIT');
      expect(await rows(id)).toBe(1);
    });
  });

  it('never lets a statement sent at once run outside the transaction, however many carried BEGIN and failed', async () => {
    await withDeferringClient(async (client) => {
      const id = uniqueName('m');
      // Each statement that carries BEGIN fails before BEGIN runs: the next one waiting carries it again.
      expect(deferBegin(client, ['SELECT 1 / 0', 'BEGIN'])).toBe(true);
      const all = await Promise.allSettled([
        client.query('INSERT INTO biz VALUES ($1)', [`${id}-1`]),
        client.query(`INSERT INTO biz VALUES ('${id}-2')`),
        client.query('INSERT INTO biz VALUES ($1)', [`${id}-3`]),
        client.query(`INSERT INTO biz VALUES ('${id}-4')`),
      ]);
      expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      expect(await rows(id)).toBe(0);
      expect(takeDeferred(client)).toEqual(['SELECT 1 / 0', 'BEGIN']);
      expect(await outsideTransaction(client)).toBe(true);
    });
  });

  it('counts BEGIN as gone when node-postgres fails after sending it, so the transaction is rolled back', async () => {
    // A value node-postgres cannot serialise fails the statement after BEGIN's messages were
    // written: node-postgres closes them with a Sync, and the server runs BEGIN all the same.
    const unserialisable = {
      toPostgres: () => {
        throw new Error('unserialisable');
      },
    };
    await withDeferringClient(async (client) => {
      expect(deferBegin(client, ['BEGIN'])).toBe(true);
      await expect(client.query('INSERT INTO biz VALUES ($1)', [unserialisable])).rejects.toThrow('unserialisable');
      expect(takeDeferred(client)).toBeUndefined();
      expect(await outsideTransaction(client)).toBe(false); // inside the BEGIN that went out (rolled back)
    });
    const router = await testRouter(db.url, { poolSize: 1 });
    try {
      await expect(
        router.transaction((tx) => tx.query('INSERT INTO biz VALUES ($1)', [unserialisable])),
      ).rejects.toThrow('unserialisable');
      // The pool's one connection is outside any transaction: a statement on it commits.
      const id = uniqueName('u');
      await router.pool.query('INSERT INTO biz VALUES ($1)', [id]);
      expect(await rows(id)).toBe(1);
    } finally {
      await router.close();
    }
  });

  it("rolls back and releases a lazy transaction's connection when its handler fails while the connection is on its way", async () => {
    const router = await testRouter(db.url, { poolSize: 1 });
    const id = uniqueName('l');
    try {
      await expect(
        router.transaction(
          async (tx) => {
            await Promise.all([tx.query('INSERT INTO biz VALUES ($1)', [id]), Promise.reject(new Error('beside it'))]);
          },
          { lazy: true },
        ),
      ).rejects.toThrow('beside it');
      // The one connection is back in the pool (not held by a statement sent after the failure).
      const client = await Promise.race([
        router.pool.connect(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the connection never came back')), 5_000)),
      ]);
      try {
        expect(takeDeferred(client)).toBeUndefined();
        expect(await outsideTransaction(client)).toBe(true);
      } finally {
        client.release();
      }
      expect(await rows(id)).toBe(0);
    } finally {
      await router.close();
    }
  });

  it('refuses what a handler sends after its transaction ended: no statement reaches a released connection', async () => {
    const router = await testRouter(db.url, { poolSize: 1 });
    try {
      for (const lazy of [false, true]) {
        let kept: Transaction | undefined;
        await router.transaction(
          async (tx) => {
            kept = tx;
            await tx.query('SELECT 1');
          },
          { lazy },
        );
        await expect(kept!.query('INSERT INTO biz VALUES ($1)', [uniqueName()])).rejects.toMatchObject({
          code: 'CLOSED',
        });
        expect(() => kept!.publish('trades:closed', 't', {})).toThrow(expect.objectContaining({ code: 'CLOSED' }));
        expect(() => kept!.client).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      }
    } finally {
      await router.close();
    }
  });

  it('answers every way of calling query as node-postgres does', async () => {
    await withDeferringClient(async (client) => {
      const led = async <T>(send: () => Promise<T>): Promise<T> => {
        expect(deferBegin(client, ['BEGIN', 'SET LOCAL synchronous_commit = off'])).toBe(true);
        try {
          const result = await send();
          expect(await outsideTransaction(client)).toBe(false); // ran inside BEGIN (rolled back)
          return result;
        } finally {
          takeDeferred(client);
          await client.query('ROLLBACK');
        }
      };
      // Values given apart from a config object, as node-postgres merges them.
      expect((await led(() => client.query({ text: 'SELECT $1::int AS n' }, [5]))).rows).toEqual([{ n: 5 }]);
      // The extended protocol asked for without values; and what rides with BEGIN is in effect.
      const setting = await led(() =>
        client.query({ text: "SELECT current_setting('synchronous_commit') AS v", queryMode: 'extended' } as never),
      );
      expect((setting as pg.QueryResult).rows).toEqual([{ v: 'off' }]);
      const withValues = await led(() => client.query('SELECT current_setting($1) AS v', ['synchronous_commit']));
      expect(withValues.rows).toEqual([{ v: 'off' }]);
      // Rows as arrays; an empty text.
      expect((await led(() => client.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' }))).rows).toEqual([
        [1, 2],
      ]);
      expect((await led(() => client.query(''))).rows).toEqual([]);
      // An error's position is in the caller's text, as without BEGIN in front of it.
      const plain = await client.query('SELECT nosuchcolumn').catch((e: { position?: string }) => e.position);
      const carried = await led(() => client.query('SELECT nosuchcolumn')).catch(
        (e: { position?: string }) => e.position,
      );
      expect(carried).toBe(plain);
      expect(plain).toBe('8');
    });
  });

  it('hands no waiting BEGIN to the next user of a connection, whatever the transaction did', async () => {
    const router = await testRouter(db.url, { poolSize: 1 });
    try {
      await expect(
        router.transaction(async () => {
          throw new Error('before any statement');
        }),
      ).rejects.toThrow('before any statement');
      await router.transaction(async () => undefined);
      await router.transaction(async () => undefined, { lazy: true });
      const client = await router.pool.connect();
      try {
        expect(takeDeferred(client)).toBeUndefined();
        expect(await outsideTransaction(client)).toBe(true);
      } finally {
        client.release();
      }
    } finally {
      await router.close();
    }
  });

  it('leaves a client from before the router to BEGIN in a round trip of its own', async () => {
    const own = new pg.Pool({ connectionString: db.url, max: 1 });
    const early = await own.connect(); // created before any router listens to this pool
    early.release();
    const router = await testRouter(db.url, { database: own });
    try {
      const client = await own.connect();
      expect(deferBegin(client, ['BEGIN'])).toBe(false);
      client.release();
      const id = uniqueName('e');
      await expect(
        router.transaction(async (tx) => {
          await tx.query('INSERT INTO biz VALUES ($1)', [id]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await rows(id)).toBe(0);
      await router.transaction(async (tx) => void (await tx.query('INSERT INTO biz VALUES ($1)', [id])));
      expect(await rows(id)).toBe(1);
    } finally {
      await router.close();
      await own.end();
    }
  });
});
