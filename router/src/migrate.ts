import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from 'pino';

/** Options of {@link runMigrations}. */
export interface MigrateOptions {
  databaseUrl: string;
  /** Folder of the SQL migrations. @defaultValue the repository's `migrations/` */
  dir?: string;
  logger?: Logger;
}

// `../../migrations` is the repository's migrations/ from router/src and router/dist alike.
const DEFAULT_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/**
 * Applies pending migrations with node-pg-migrate, recorded in its `pgmigrations` ledger.
 * Safe to run from several processes at once: each waits on the advisory lock
 * (advisoryLockMode 'wait') and then finds nothing left to do. Returns the names applied.
 */
export async function runMigrations(options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir ?? DEFAULT_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    advisoryLockMode: 'wait',
    singleTransaction: true,
    checkOrder: true,
    verbose: false,
    log: (msg: string) => options.logger?.debug(msg),
    logger: {
      debug: (msg: string) => options.logger?.debug(msg),
      info: (msg: string) => options.logger?.info(msg),
      warn: (msg: string) => options.logger?.warn(msg),
      // Failures are thrown to the caller, who reports them once.
      error: (msg: string) => options.logger?.debug(msg),
    },
  });
  return applied.map((m) => m.name);
}
