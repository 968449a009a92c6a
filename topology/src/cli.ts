#!/usr/bin/env node
/**
 * recio-services: Redis and PostgreSQL for `make dev`.
 *   recio-services ensure   use REDIS_URL / DATABASE_URL when they answer, else start private
 *                           servers under .recio/; print `export REDIS_URL=… DATABASE_URL=…`
 *                           (plus RECIO_PRIVATE_SERVICES=1 when it started one)
 *   recio-services stop     stop the private servers `ensure` started
 * Progress goes to stderr; stdout carries only the export line.
 */
import { ensureLocalServices, exportLine, stopLocalServices } from './local-services.js';

const USAGE = 'usage: recio-services ensure | stop';

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === 'ensure') {
    // The edge of the program: the only place here that reads the environment.
    const result = await ensureLocalServices({
      redisUrl: process.env['REDIS_URL'] || undefined,
      databaseUrl: process.env['DATABASE_URL'] || undefined,
    });
    process.stdout.write(`${exportLine(result.env)}\n`);
    return 0;
  }
  if (command === 'stop') {
    await stopLocalServices();
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`recio-services: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
