import { userInfo } from 'node:os';
import pg from 'pg';
import { redactUrl } from './redact-url.js';

/** SQLSTATEs meaning "another session created it first": duplicate_database, and unique_violation on pg_database. */
const ALREADY_CREATED = new Set(['42P04', '23505']);

/** Creates database `name` on the server of `maintenanceUrl` unless it exists; tolerates a concurrent create. */
export async function ensureDatabase(maintenanceUrl: string, name: string): Promise<'created' | 'exists'> {
  const client = new pg.Client({ connectionString: maintenanceUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount !== 0) return 'exists';
    try {
      await client.query(`create database ${quoteIdent(name)}`);
      return 'created';
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code !== undefined && ALREADY_CREATED.has(err.code)) return 'exists';
      throw err;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A PostgreSQL URL taken apart, with libpq's default user (PGUSER, else the OS user) filled in. */
export interface PostgresUrlParts {
  url: URL;
  database: string;
}

export function parsePostgresUrl(text: string): PostgresUrlParts {
  const url = new URL(text);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must be a postgres:// URL, got ${redactUrl(text)}`);
  }
  // node-postgres takes the user from $USER only, which is unset in many containers and CI jobs.
  if (url.username === '') url.username = encodeURIComponent(process.env['PGUSER'] ?? userInfo().username);
  return { url, database: decodeURIComponent(url.pathname.replace(/^\//, '')) };
}

/** `url` pointing at another database on the same server. */
export function withDatabase(url: URL, database: string): string {
  const copy = new URL(url.href);
  copy.pathname = `/${encodeURIComponent(database)}`;
  return copy.href;
}
