import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { USER_ID } from './api-tokens.js';
import { addUser, checkPassword, disableUser, setPassword } from './web-users.js';

// `recio users add|passwd|disable`: the browser sign-in's users (web_user), run by the operator as
// the database owner. A password is read from stdin when one is piped in, else generated and printed.

const USAGE = `usage: recio users <add|passwd|disable> <user> [--admin]
  add <user> [--admin]   a new user; its password from stdin, else a generated one is printed
  passwd <user>          a new password (from stdin, else generated and printed); ends every session
  disable <user>         no more sign-in; ends every session (passwd enables again)
environment: DATABASE_URL (the owner's)`;

/** Where the command reads and writes. */
export interface UsersIo {
  databaseUrl: string;
  /** The piped-in password, or undefined when stdin is a terminal. */
  readPassword: () => Promise<string | undefined>;
  out: (line: string) => void;
}

/** A failure with a stable code; exit 1 (2 for usage). */
export class UsersCliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Runs `recio users …`; resolves to the exit code, throws UsersCliError. */
export async function runUsers(argv: string[], io: UsersIo): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ options: { admin: { type: 'boolean' }; help: { type: 'boolean' } }; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: argv,
      options: { admin: { type: 'boolean' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsersCliError('USAGE', (err as Error).message, 2);
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  const [action, user, ...extra] = parsed.positionals;
  if (action === undefined || !['add', 'passwd', 'disable'].includes(action)) {
    throw new UsersCliError('USAGE', `expected add, passwd or disable (try: recio users --help)`, 2);
  }
  if (user === undefined || extra.length > 0) throw new UsersCliError('USAGE', `${action} takes one user name`, 2);
  if (!USER_ID.safeParse(user).success) throw new UsersCliError('USAGE', `not a user name: ${JSON.stringify(user)}`, 2);
  if (parsed.values.admin && action !== 'add') throw new UsersCliError('USAGE', '--admin goes with add', 2);

  let password: string | undefined;
  let generated = false;
  if (action !== 'disable') {
    password = (await io.readPassword())?.replace(/\r?\n$/, '');
    if (password === undefined || password === '') {
      password = randomBytes(18).toString('base64url');
      generated = true;
    }
    const problem = checkPassword(password);
    if (problem) throw new UsersCliError('WEAK_PASSWORD', problem);
  }

  const db = new pg.Client({ connectionString: io.databaseUrl });
  await db.connect();
  try {
    if (action === 'add') {
      if (!(await addUser(db, user, password!, parsed.values.admin === true))) {
        throw new UsersCliError('USER_EXISTS', `${user} exists (recio users passwd ${user} to change its password)`);
      }
    } else if (action === 'passwd') {
      if (!(await setPassword(db, user, password!))) throw new UsersCliError('UNKNOWN_USER', `no user ${user}`);
    } else if (!(await disableUser(db, user))) {
      throw new UsersCliError('UNKNOWN_USER', `no user ${user}`);
    }
  } finally {
    await db.end();
  }
  io.out(generated ? `${user} ${password}` : `${user} ${action === 'disable' ? 'disabled' : 'ok'}`);
  return 0;
}
