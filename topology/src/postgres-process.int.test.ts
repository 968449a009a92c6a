import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresHandle } from './postgres-process.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  let server: PostgresHandle;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.close();
  });

  it('starts a private server on 127.0.0.1 that answers select 1 as postgres', async () => {
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    const rows = await query<{ one: number; who: string; listen: string }>(
      server.url,
      "select 1 as one, current_user as who, current_setting('listen_addresses') as listen",
    );
    expect(rows).toEqual([{ one: 1, who: 'postgres', listen: '127.0.0.1' }]);
  });

  it('keeps committed rows across a SIGKILL of the postmaster and a restart', async () => {
    await query(
      server.url,
      'create table topology_crash (id int primary key); insert into topology_crash values (1), (2)',
    );
    await server.kill('SIGKILL');
    expect(server.pid).toBeUndefined();
    await server.restart();
    expect(await query<{ id: number }>(server.url, 'select id from topology_crash order by id')).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });

  it('stop() shuts it down (connections are refused), close() removes the data directory', async () => {
    await server.stop('fast');
    expect(server.pid).toBeUndefined();
    await expect(query(server.url, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.close();
    await server.close();
    expect(existsSync(server.dir)).toBe(false);
  });
});
