import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, uniqueName, type TestDatabase } from '@recio/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSignIn, createSession } from './web-users.js';

// `recio users` as the operator runs it: the router's CLI as a real process (it loads main-app's
// module), against a real PostgreSQL, the password piped in or generated and printed.

const CLI = fileURLToPath(new URL('../../../router/dist/cli/main.js', import.meta.url));

describe('recio users', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const user = uniqueName('user_');
  const recio = (args: string[], input?: string) => {
    const run = spawnSync(process.execPath, [CLI, 'users', ...args], {
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
      input: input ?? '',
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
  };

  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('adds a user with a generated password, which signs in; a second add is refused', async () => {
    const added = recio(['add', user]);
    expect(added.code).toBe(0);
    const [name, password] = added.stdout.split(' ');
    expect(name).toBe(user);
    expect(password!.length).toBeGreaterThanOrEqual(12);
    expect(await checkSignIn(pool, user, password!)).toEqual({ userId: user, admin: false });
    const again = recio(['add', user]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/^recio: USER_EXISTS: /) });
  });

  it('sets a piped-in password and ends the sessions; disables; refuses weak passwords and bad usage', async () => {
    const { rows } = await pool.query<{ at: string }>(
      'SELECT password_changed_at::text AS at FROM web_user WHERE user_id = $1',
      [user],
    );
    await createSession(pool, { principal: { userId: user, admin: false }, csrfSecret: 's' }, 60_000, rows[0]!.at);
    expect(recio(['passwd', user], 'a brand new passphrase\n')).toMatchObject({ code: 0, stdout: `${user} ok` });
    expect(await checkSignIn(pool, user, 'a brand new passphrase')).not.toBeNull();
    const sessions = await pool.query('SELECT 1 FROM web_session WHERE user_id = $1', [user]);
    expect(sessions.rowCount).toBe(0);
    expect(recio(['passwd', user], 'short\n')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('WEAK_PASSWORD'),
    });
    expect(recio(['disable', user])).toMatchObject({ code: 0, stdout: `${user} disabled` });
    expect(await checkSignIn(pool, user, 'a brand new passphrase')).toBeNull();
    expect(recio(['disable', 'nobody_at_all'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('UNKNOWN_USER'),
    });
    for (const args of [
      ['frob', user],
      ['add'],
      ['add', 'Not A Name'],
      ['passwd', user, '--admin'],
      ['add', user, 'extra'],
    ]) {
      expect(recio(args), args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^recio: USAGE: /) });
    }
    const admin = uniqueName('ops_');
    expect(recio(['add', admin, '--admin'], 'the admin passphrase\n').code).toBe(0);
    expect(await checkSignIn(pool, admin, 'the admin passphrase')).toEqual({ userId: admin, admin: true });
  });
});
