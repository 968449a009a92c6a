import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@recio/topology';

/** Server URLs for integration tests: what `make test` exported, else the Makefile's defaults. */
export const REDIS_URL = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
export const DATABASE_URL = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

/** The same server as `url`, another database. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
