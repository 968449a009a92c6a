import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinDirs, requirePostgresBinaries } from './binaries.js';
import {
  isDaemonAlive,
  readDaemonRecord,
  removeDaemonRecord,
  spawnDaemon,
  stopDaemon,
  writeDaemonRecord,
} from './daemon.js';
import { BinaryNotFoundError, ServiceUnavailableError } from './errors.js';
import { getFreePort, isPortFree } from './free-port.js';
import type { ServiceSource } from './local-redis.js';
import { readLogTail } from './managed-process.js';
import { initDataDir, isDataDir, postgresArgs, postgresRunAs, prepareDataDir } from './postgres-data-dir.js';
import { ensureDatabase, parsePostgresUrl, withDatabase } from './postgres-database.js';
import { dataDirectoryAt, probePostgres } from './postgres-process.js';
import { waitUntilReady } from './ready.js';
import { redactUrl } from './redact-url.js';

/** The private PostgreSQL lives in `<root>/.recio/postgres` (git-ignored): data/, postgres.log, daemon.json. */
export function privatePostgresDir(root: string): string {
  return join(root, '.recio', 'postgres');
}

/**
 * PostgreSQL for local development: the server in `databaseUrl` when it answers; else the
 * private server a previous run started; else a new private one (initdb on first use), detached
 * so it outlives the caller. In every case the database named in the URL is created if missing.
 * A URL without a user gets libpq's default (PGUSER, else the OS user) written into it.
 */
export async function ensurePostgres(
  root: string,
  databaseUrl: string,
  readyTimeoutMs: number,
  log: (message: string) => void,
): Promise<{ url: string; source: ServiceSource }> {
  const { url: parsed, database } = parsePostgresUrl(databaseUrl);
  const shown = redactUrl(parsed.href);
  const external = await tryExternal(withDatabase(parsed, 'postgres'), shown);
  if (external) {
    if (database !== '') await createIfMissing(withDatabase(parsed, 'postgres'), database, log);
    log(`postgres: using ${shown}`);
    return { url: parsed.href, source: 'external' };
  }

  const base = privatePostgresDir(root);
  const dataDir = join(base, 'data');
  const recordPath = join(base, 'daemon.json');
  const dbName = database === '' ? 'recio' : database;
  const record = readDaemonRecord(recordPath);
  if (record !== undefined && isDaemonAlive(record.pid, record.cmdlineMarkers)) {
    try {
      await probePostgres(record.url, 2000);
      await createIfMissing(record.url, dbName, log);
      log(`postgres: nothing answers at ${shown}; using the private server on port ${record.port} (pid ${record.pid})`);
      return { url: withDatabase(new URL(record.url), dbName), source: 'private-running' };
    } catch {
      // recorded but not answering: start it again below
    }
  }

  let binaries: { initdb: string; postgres: string };
  try {
    binaries = requirePostgresBinaries();
  } catch (err) {
    if (!(err instanceof BinaryNotFoundError)) throw err;
    const where = ['PATH', ...postgresBinDirs()].join(', ');
    throw new ServiceUnavailableError(
      `${err.binary} not found (looked in ${where}) and nothing answers at ${shown}: ${err.hint}`,
      { cause: err },
    );
  }
  const runAs = postgresRunAs();
  for (const d of [join(root, '.recio'), base]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755); // the postgres OS user (when we are root) must reach data/ below
  }
  prepareDataDir(dataDir, runAs);
  if (!isDataDir(dataDir)) {
    log(`postgres: initialising ${dataDir}`);
    await initDataDir(binaries.initdb, dataDir, runAs, false);
  }
  const port = record !== undefined && (await isPortFree(record.port)) ? record.port : await getFreePort();
  const logPath = join(base, 'postgres.log');
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log(`postgres: nothing answers at ${shown}; starting a private server on port ${port} in ${dataDir}`);
  const pid = spawnDaemon({
    command: binaries.postgres,
    args: postgresArgs(dataDir, port, { fsync: 'off' }),
    logPath,
    cwd: dataDir,
    runAs,
  });
  writeDaemonRecord(recordPath, { pid, port, url: adminUrl, cmdlineMarkers: [dataDir] });
  try {
    await waitUntilReady({
      what: `private postgres on port ${port}`,
      probe: async () => (await dataDirectoryAt(adminUrl)) === dataDir,
      exitDescription: () => (isDaemonAlive(pid) ? undefined : 'an error'),
      logTail: () => readLogTail(logPath),
      timeoutMs: readyTimeoutMs,
    });
  } catch (err) {
    await stopDaemon(pid, 'SIGKILL');
    removeDaemonRecord(recordPath);
    throw err;
  }
  await createIfMissing(adminUrl, dbName, log);
  return { url: withDatabase(new URL(adminUrl), dbName), source: 'private-started' };
}

/** Stops the private PostgreSQL recorded under `root` (fast shutdown), if it runs; returns whether it stopped one. */
export async function stopPrivatePostgres(root: string, log: (message: string) => void): Promise<boolean> {
  const recordPath = join(privatePostgresDir(root), 'daemon.json');
  const record = readDaemonRecord(recordPath);
  if (record === undefined) return false;
  const alive = isDaemonAlive(record.pid, record.cmdlineMarkers);
  if (alive) {
    log(`postgres: stopping the private server on port ${record.port} (pid ${record.pid})`);
    await stopDaemon(record.pid, 'SIGINT'); // SIGINT = fast shutdown: disconnect clients, checkpoint, exit
  }
  removeDaemonRecord(recordPath);
  return alive;
}

/**
 * True when the server answers; false when nothing answers (a connection error, not a SQLSTATE).
 * A server that answers with an error (bad password, unknown role) is not silently replaced.
 */
async function tryExternal(maintenanceUrl: string, shown: string): Promise<boolean> {
  try {
    await probePostgres(maintenanceUrl, 2000);
    return true;
  } catch (err) {
    if (err instanceof pg.DatabaseError) {
      throw new ServiceUnavailableError(
        `PostgreSQL at ${shown} answers but refuses the connection (SQLSTATE ${err.code ?? '?'}: ${err.message}): fix DATABASE_URL`,
        { cause: err },
      );
    }
    return false;
  }
}

async function createIfMissing(
  maintenanceUrl: string,
  database: string,
  log: (message: string) => void,
): Promise<void> {
  if ((await ensureDatabase(maintenanceUrl, database)) === 'created') log(`postgres: created database ${database}`);
}
