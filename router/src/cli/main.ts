#!/usr/bin/env node
import { errorCode } from '../errors.js';
import { UsageError } from './args.js';
import { check } from './commands/check.js';
import { dlq } from './commands/dlq.js';
import { migrate } from './commands/migrate.js';
import { publish } from './commands/publish.js';
import { relay } from './commands/relay.js';
import { replay } from './commands/replay.js';
import { tail } from './commands/tail.js';
import { users } from './commands/users.js';
import { loadConfig } from './config.js';
import type { CliContext } from './context.js';

const COMMANDS: Record<string, (argv: string[], ctx: CliContext) => Promise<number>> = {
  migrate,
  publish,
  replay,
  tail,
  relay,
  check,
  dlq,
  users,
};

const USAGE = `usage: recio <command> [options]
  migrate                                       apply database migrations
  publish --channel C --type T --data JSON      commit one event and print it
  replay  --channel C --since ISO|seq:N [--limit N]
                                                print a channel's events as JSON lines
  tail    --channel C|P* [--since seq:N]        print events live as JSON lines until stopped
  relay   [--metrics-port P]                    converge Redis to PostgreSQL until stopped (metrics on P, else PORT)
  check   [--tolerance N] [--repair]            compare PostgreSQL with Redis (behind, or ahead: not the router's); exit 1 if so
  dlq list [--group G] [--channel C] [--limit N] print dead letters as JSON lines
  dlq replay --id N                             have the letter's group run its handler on it again
  users add|passwd|disable <user> [--admin]     browser sign-in users (password from stdin, else generated and printed)
environment: DATABASE_URL, REDIS_URL | REDIS_SENTINELS + REDIS_SENTINEL_NAME | REDIS_CLUSTER_NODES,
             REDIS_USERNAME, REDIS_PASSWORD, RECIO_SOURCE, LOG_LEVEL`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (try: recio --help)`);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  return command(rest, { config: loadConfig(), stdout: process.stdout, stopSignal: stop.signal });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line, never a stack trace: bad input is the caller's to fix.
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`recio: ${code === 'UNKNOWN' ? 'ERROR' : code}: ${message.split('\n')[0]}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
