import { readFileSync } from 'node:fs';
import pg from 'pg';
import { z } from 'zod';
import { USER_ID } from './api-tokens.js';
import { addUser, checkSignIn, setPassword } from './web-users.js';

// The `web-users` step of `make dev`: makes sure each user of WEB_USERS_FILE
// (`[{ "user_id", "password", "admin"? }]`, written by the dev stack, mode 0600) signs in with that
// password: added when missing, its password set when it differs (which ends its sessions), left
// alone otherwise. Runs as the database owner (DATABASE_URL). Exit 1 with one line on a bad file.

const WebUsersFile = z.array(
  z.object({ user_id: USER_ID, password: z.string().min(12).max(256), admin: z.boolean().default(false) }),
);

async function main(): Promise<void> {
  const file = process.env.WEB_USERS_FILE;
  const databaseUrl = process.env.DATABASE_URL;
  if (!file || !databaseUrl) throw new Error('WEB_USERS_FILE and DATABASE_URL are required');
  const users = WebUsersFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const u of users) {
      if (await checkSignIn(db, u.user_id, u.password)) continue;
      if (!(await addUser(db, u.user_id, u.password, u.admin))) await setPassword(db, u.user_id, u.password);
      process.stdout.write(`web user ${u.user_id} ready\n`);
    }
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`web-users: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exit(1);
});
