import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReplyError } from 'ioredis';
import { findBinary, INSTALL_HINTS } from './binaries.js';
import {
  isDaemonAlive,
  readDaemonRecord,
  removeDaemonRecord,
  spawnDaemon,
  stopDaemon,
  writeDaemonRecord,
} from './daemon.js';
import { ServiceUnavailableError } from './errors.js';
import { getFreePort, isPortFree } from './free-port.js';
import { readLogTail } from './managed-process.js';
import { waitUntilReady } from './ready.js';
import { redactUrl } from './redact-url.js';
import { pingRedis, redisServesAs } from './redis-client.js';
import { renderRedisConf } from './redis-conf.js';

/** Where a Redis (or PostgreSQL) for `make dev` comes from. */
export type ServiceSource = 'external' | 'private-running' | 'private-started';

/** The private Redis lives in `<root>/.recio/redis` (git-ignored): config, AOF/RDB, log, daemon.json. */
export function privateRedisDir(root: string): string {
  return join(root, '.recio', 'redis');
}

/**
 * Redis for local development: the server at `redisUrl` when it answers PING; else the private
 * server a previous run started, when it still answers; else a new private server, detached so
 * it outlives the caller, on its previous port when free, else on a free port.
 */
export async function ensureRedis(
  root: string,
  redisUrl: string,
  readyTimeoutMs: number,
  log: (message: string) => void,
): Promise<{ url: string; source: ServiceSource }> {
  try {
    await pingRedis(redisUrl, 1000);
    log(`redis: using ${redactUrl(redisUrl)}`);
    return { url: redisUrl, source: 'external' };
  } catch (err) {
    if (err instanceof ReplyError) {
      throw new ServiceUnavailableError(
        `Redis at ${redactUrl(redisUrl)} answers but refuses PING (${(err as Error).message}): fix REDIS_URL`,
        {
          cause: err,
        },
      );
    }
  }

  const dir = privateRedisDir(root);
  const recordPath = join(dir, 'daemon.json');
  const record = readDaemonRecord(recordPath);
  if (record !== undefined && isDaemonAlive(record.pid, record.cmdlineMarkers)) {
    try {
      await pingRedis(record.url, 1000);
      log(
        `redis: nothing answers at ${redactUrl(redisUrl)}; using the private server at ${record.url} (pid ${record.pid})`,
      );
      return { url: record.url, source: 'private-running' };
    } catch {
      // recorded but not answering: start a fresh one below
    }
  }

  const binary = findBinary('redis-server');
  if (binary === undefined) {
    throw new ServiceUnavailableError(
      `redis-server not found on PATH and nothing answers at ${redactUrl(redisUrl)}: ${INSTALL_HINTS['redis-server']}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const port = record !== undefined && (await isPortFree(record.port)) ? record.port : await getFreePort();
  const confPath = join(dir, 'redis.conf');
  const logPath = join(dir, 'redis.log');
  writeFileSync(confPath, renderRedisConf({ port, dir }));
  const url = `redis://127.0.0.1:${port}`;
  const pid = spawnDaemon({ command: binary, args: [confPath], logPath, cwd: dir });
  // Redis retitles itself "redis-server 127.0.0.1:<port>"; before that its command line names the config file.
  const cmdlineMarkers = [`127.0.0.1:${port}`, confPath];
  writeDaemonRecord(recordPath, { pid, port, url, cmdlineMarkers });
  log(`redis: nothing answers at ${redactUrl(redisUrl)}; starting a private redis-server on port ${port} in ${dir}`);
  try {
    await waitUntilReady({
      what: `private redis-server on port ${port}`,
      probe: () => redisServesAs({ host: '127.0.0.1', port }, pid),
      exitDescription: () => (isDaemonAlive(pid) ? undefined : 'an error'),
      logTail: () => readLogTail(logPath),
      timeoutMs: readyTimeoutMs,
    });
  } catch (err) {
    await stopDaemon(pid, 'SIGKILL');
    removeDaemonRecord(recordPath);
    throw err;
  }
  return { url, source: 'private-started' };
}

/** Stops the private Redis recorded under `root`, if it runs; returns whether it stopped one. */
export async function stopPrivateRedis(root: string, log: (message: string) => void): Promise<boolean> {
  const recordPath = join(privateRedisDir(root), 'daemon.json');
  const record = readDaemonRecord(recordPath);
  if (record === undefined) return false;
  const alive = isDaemonAlive(record.pid, record.cmdlineMarkers);
  if (alive) {
    log(`redis: stopping the private server on port ${record.port} (pid ${record.pid})`);
    // SIGTERM: Redis flushes the AOF and writes an RDB snapshot before it exits.
    await stopDaemon(record.pid, 'SIGTERM');
  }
  removeDaemonRecord(recordPath);
  return alive;
}
