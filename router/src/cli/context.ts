import { pino, type Logger } from 'pino';
import { EventRouter } from '../router.js';
import type { CliConfig } from './config.js';

/** What every command gets: the validated config and where to write. */
export interface CliContext {
  config: CliConfig;
  stdout: NodeJS.WritableStream;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
  stopSignal: AbortSignal;
}

/** A JSON logger on stderr (stdout is for the command's output). */
export function cliLogger(config: CliConfig): Logger {
  return pino({ level: config.logLevel, base: { source: config.source } }, pino.destination(2));
}

/** A router for the command, on the configured servers. */
export function cliRouter(config: CliConfig, logger: Logger): EventRouter {
  return new EventRouter({
    database: config.databaseUrl,
    redis: config.redis,
    source: config.source,
    logger,
    redisCommandTimeoutMs: config.redisCommandTimeoutMs,
  });
}

/** Writes one JSON line. */
export function writeJsonLine(out: NodeJS.WritableStream, value: unknown): void {
  out.write(JSON.stringify(value) + '\n');
}
