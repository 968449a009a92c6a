import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { DATABASE_URL, databaseUrl } from './env.js';

/** A private, migrated database for one test file. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (closing any connection left open). */
  drop(): Promise<void>;
}

/** Clones the run's migrated template into a fresh database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `recio_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(DATABASE_URL, name),
    async drop() {
      const c = new pg.Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A suffix that keeps one test's channels and keys apart from every other test's. */
export function uniqueName(prefix = 'u'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}
