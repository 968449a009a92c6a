import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { dlqKey, streamKey } from '@recio/router';
import { DATABASE_URL, REDIS_URL, databaseUrl } from './env.js';
import './provided-context.js';

/** A private, migrated database for one test file. */
export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (closing any connection left open). */
  drop(): Promise<void>;
}

/** Options of {@link createTestDatabase}. */
export interface TestDatabaseOptions {
  /**
   * The Redis whose streams of this database's channels drop() deletes: the shared one by
   * default; null for a test with a private Redis (deleting there would hit other runs' streams).
   */
  redisUrl?: string | null;
}

/** Clones the run's migrated template into a fresh database. */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const redisUrl = options.redisUrl === undefined ? REDIS_URL : options.redisUrl;
  // The run's pid is in the name (from its template's), so a later run drops only a dead run's clones.
  const template = inject('templateDatabase');
  const runPid = /^recio_template_(\d+)/.exec(template)?.[1] ?? '0';
  const name = `recio_t_${runPid}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(DATABASE_URL, name),
    async drop() {
      if (redisUrl !== null) await deleteStreams(databaseUrl(DATABASE_URL, name), redisUrl);
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

/**
 * Deletes from the shared Redis the streams of every channel the database knows, so test runs
 * do not pile up data there (files with a Redis of their own lose nothing by it).
 */
async function deleteStreams(url: string, redisUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const { rows } = await db.query<{ channel: string }>('SELECT channel FROM channel_head');
  await db.end();
  const redis = new Redis(redisUrl);
  try {
    for (let i = 0; i < rows.length; i += 1_000) {
      const keys = rows.slice(i, i + 1_000).flatMap(({ channel }) => [streamKey(channel), dlqKey(channel)]);
      if (keys.length > 0) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
