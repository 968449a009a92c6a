import { RecioError } from '../../errors.js';
import { UsageError } from '../args.js';
import type { CliContext } from '../context.js';

/**
 * Where `recio users` is implemented: main-app owns the browser users (its table, its password
 * rules), so the router's CLI loads main-app's module where main-app is installed (this repository,
 * main-app's image) instead of depending on it.
 */
const USERS_MODULE = '@recio/main-app/users-cli';

interface UsersModule {
  runUsers(
    argv: string[],
    io: { databaseUrl: string; readPassword: () => Promise<string | undefined>; out: (line: string) => void },
  ): Promise<number>;
}

/** Reads a piped-in password; undefined when stdin is a terminal. */
async function readPipedPassword(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** `recio users add|passwd|disable <user>`: the users who sign in from a browser. */
export async function users(argv: string[], ctx: CliContext): Promise<number> {
  let module: UsersModule;
  try {
    module = (await import(USERS_MODULE)) as UsersModule;
  } catch (err) {
    throw new RecioError('UNAVAILABLE', `recio users needs main-app installed beside the CLI (${USERS_MODULE})`, {
      cause: err,
    });
  }
  try {
    return await module.runUsers(argv, {
      databaseUrl: ctx.config.databaseUrl,
      readPassword: readPipedPassword,
      out: (line) => ctx.stdout.write(`${line}\n`),
    });
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode === 2) throw new UsageError((err as Error).message);
    throw err;
  }
}
