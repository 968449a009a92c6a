import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@recio/contract';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePostgres, stopPrivatePostgres } from './local-postgres.js';
import { ensureRedis, stopPrivateRedis, type ServiceSource } from './local-redis.js';
import { findProjectRoot } from './project-root.js';

export type { ServiceSource } from './local-redis.js';

// The URLs used when none is given are the contract's.
export { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL };

/** Options of {@link ensureLocalServices}. */
export interface LocalServicesOptions {
  /**
   * Repository root; private servers and the env file live in `<root>/.recio/`.
   * @defaultValue the nearest ancestor of the working directory whose package.json has "workspaces"
   */
  root?: string;
  /**
   * The Redis to use when it answers.
   * @defaultValue 'redis://127.0.0.1:6379'
   */
  redisUrl?: string;
  /**
   * The PostgreSQL server (and database, created if missing) to use when it answers.
   * @defaultValue 'postgres://127.0.0.1:5432/recio'
   */
  databaseUrl?: string;
  /**
   * How long a private server may take to start.
   * @defaultValue 30000
   */
  readyTimeoutMs?: number;
  /**
   * Progress messages (never the URLs' passwords).
   * @defaultValue one line per message on stderr
   */
  log?: (message: string) => void;
}

/** What {@link ensureLocalServices} settled on. */
export interface LocalServices {
  redisUrl: string;
  databaseUrl: string;
  redis: ServiceSource;
  postgres: ServiceSource;
  /**
   * The variables to export: REDIS_URL and DATABASE_URL, plus RECIO_PRIVATE_SERVICES=1 when this
   * call started a private server (so a wrapper such as scripts/with-services.sh knows to run
   * `recio-services stop` afterwards, and leaves alone servers someone else started).
   */
  env: Record<string, string>;
  /** `<root>/.recio/env`, holding {@link exportLine} of {@link LocalServices.env}. */
  envFile: string;
}

const stderrLog = (message: string): void => {
  process.stderr.write(`recio-services: ${message}\n`);
};

/**
 * Makes a Redis and a PostgreSQL available for development: the configured servers when they
 * answer, else private ones under `<root>/.recio/` that keep running after this returns.
 * Writes the resulting URLs to `<root>/.recio/env`.
 */
export async function ensureLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const root = resolve(options.root ?? findProjectRoot());
  const log = options.log ?? stderrLog;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const redis = await ensureRedis(root, options.redisUrl ?? DEFAULT_REDIS_URL, readyTimeoutMs, log);
  const postgres = await ensurePostgres(root, options.databaseUrl ?? DEFAULT_DATABASE_URL, readyTimeoutMs, log);
  const env: Record<string, string> = { REDIS_URL: redis.url, DATABASE_URL: postgres.url };
  if (redis.source === 'private-started' || postgres.source === 'private-started') env['RECIO_PRIVATE_SERVICES'] = '1';
  const envFile = join(root, '.recio', 'env');
  mkdirSync(join(root, '.recio'), { recursive: true });
  writeFileSync(envFile, `${exportLine(env)}\n`);
  return {
    redisUrl: redis.url,
    databaseUrl: postgres.url,
    redis: redis.source,
    postgres: postgres.source,
    env,
    envFile,
  };
}

/**
 * Stops the private servers that {@link ensureLocalServices} started under `<root>/.recio/`
 * (found by their pid files); servers it did not start are left alone. Removes the env file when
 * it stopped something, since its URLs no longer answer.
 */
export async function stopLocalServices(
  options: Pick<LocalServicesOptions, 'root' | 'log'> = {},
): Promise<{ redis: boolean; postgres: boolean }> {
  const root = resolve(options.root ?? findProjectRoot());
  const log = options.log ?? stderrLog;
  const redis = await stopPrivateRedis(root, log);
  const postgres = await stopPrivatePostgres(root, log);
  if (!redis && !postgres) log('no private servers running');
  else rmSync(join(root, '.recio', 'env'), { force: true });
  return { redis, postgres };
}

/**
 * `export A=… B=…` on one line, so a Makefile can `eval "$(recio-services ensure)"`; values are
 * single-quoted only when they hold characters the shell would interpret (`?`, `&`, spaces, …).
 */
export function exportLine(vars: Readonly<Record<string, string>>): string {
  const assignments = Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return `export ${assignments.join(' ')}`;
}

function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
