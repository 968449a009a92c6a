import { loadRouterEnv, runMigrations } from '@recio/router';
import pg from 'pg';
import type { RunDatabase } from '../harness/platform-run.js';

/** A migrated database of its own for one bench (`<prefix>_<pid>`), dropped by `drop()`. */
export async function benchDatabase(prefix: string): Promise<RunDatabase> {
  const base = loadRouterEnv().databaseUrl;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const name = `${prefix}_${process.pid}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  await runMigrations({ databaseUrl: url.toString() });
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
