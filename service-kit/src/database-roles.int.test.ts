import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  databaseGrants,
  databaseRoleName,
  databaseServices,
  publishedClasses,
  SERVICES,
  serviceDatabaseUrl,
  TABLE_PRIVILEGES,
  type ServiceSpec,
} from '@recio/platform';
import { DEFAULT_SETTINGS } from '@recio/domain';
import { runMigrations } from '@recio/router';
import { startPostgres, type PostgresHandle } from '@recio/topology';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_CLASS_NAMES, CHANNEL_CLASSES, channelOf, deliveryOf } from '@recio/contract';
import { startPrivateRedis, createTestDatabase, testRouter, uniqueName, type TestDatabase } from '@recio/test-support';
import { loadServiceConfig } from './config.js';
import { applyDatabaseRoles, DatabaseRolesError, scramSha256Verifier } from './database-roles.js';
import { startService } from './service.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/database-roles-main.js', import.meta.url));
const passwordsOf = (services: readonly ServiceSpec[]) =>
  new Map(databaseServices(services).map((s) => [s.name, randomBytes(12).toString('hex')]));

async function asRole<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(c: pg.Client, sql: string): Promise<string> {
  return c.query(sql).then(
    () => 'ok',
    (err: { code?: string }) => err.code ?? 'error',
  );
}

/** A catalogue entry of a role no other test uses (roles belong to the server, not the database). */
function probeService(tables: ServiceSpec['tables'], extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    ...SERVICES.find((s) => s.name === 'kalshi-api-watchdog')!,
    name: `probe-${randomBytes(4).toString('hex')}`,
    tables,
    ...extra,
  };
}

async function dropRole(url: string, role: string, databases: TestDatabase[]): Promise<void> {
  for (const db of databases) await asRole(db.url, (c) => c.query(`DROP OWNED BY ${c.escapeIdentifier(role)}`));
  await asRole(url, (c) => c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(role)}`));
}

describe('applyDatabaseRoles', () => {
  let db: TestDatabase;
  const passwords = passwordsOf(SERVICES);

  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
    await applyDatabaseRoles({ databaseUrl: db.url, passwords });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives every service role exactly the privileges of its catalogue entry, on every table', async () => {
    const { rows: tables } = await asRole(db.url, (c) =>
      c.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`),
    );
    for (const service of databaseServices(SERVICES)) {
      const role = databaseRoleName(service.name);
      const grants = databaseGrants(service);
      const { rows } = await asRole(db.url, (c) =>
        c.query<{ t: string; p: string }>(
          `SELECT t.name AS t, p.name AS p FROM unnest($1::text[]) t(name), unnest($2::text[]) p(name)
            WHERE has_table_privilege($3, 'public.' || quote_ident(t.name), p.name) ORDER BY 1, 2`,
          [tables.map((t) => t.name), [...TABLE_PRIVILEGES, 'TRUNCATE', 'REFERENCES', 'TRIGGER'], role],
        ),
      );
      const held: Record<string, string[]> = {};
      for (const r of rows) (held[r.t] ??= []).push(r.p);
      const expected = Object.fromEntries(Object.entries(grants).map(([t, p]) => [t, [...p].sort()]));
      expect(held, service.name).toEqual(expected);
    }
  });

  it('grants every table of the schema to some service (a new table is not forgotten)', async () => {
    const granted = new Set(databaseServices(SERVICES).flatMap((s) => Object.keys(databaseGrants(s))));
    const { rows } = await asRole(db.url, (c) =>
      c.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`),
    );
    const orphans = rows.map((r) => r.name).filter((t) => t !== 'pgmigrations' && !granted.has(t));
    expect(orphans).toEqual([]);
  });

  it('lets a role do what its service does and refuses the rest', async () => {
    const url = (name: string) => serviceDatabaseUrl(db.url, name, passwords.get(name)!);
    await asRole(url('main-app'), async (c) => {
      expect(await outcome(c, `INSERT INTO user_settings (user_id, settings, version) VALUES ('u1', '{}', 1)`)).toBe(
        'ok',
      );
      expect(await outcome(c, `SELECT count(*) FROM account_balance`)).toBe('ok');
      // trades change only through the trade manager
      expect(await outcome(c, `UPDATE trade SET status = 'closed'`)).toBe('42501');
      expect(await outcome(c, `DELETE FROM event_log`)).toBe('42501');
      expect(await outcome(c, `SELECT count(*) FROM pgmigrations`)).toBe('42501');
      expect(await outcome(c, `CREATE TABLE intruder (x int)`)).toBe('42501');
    });
    await asRole(url('trade-executor'), async (c) => {
      expect(await outcome(c, `SELECT count(*) FROM trade`)).toBe('ok');
      expect(await outcome(c, `INSERT INTO price_tick (symbol, ts, price) VALUES ('btc', now(), 1)`)).toBe('42501');
      expect(await outcome(c, `SELECT count(*) FROM account_fill`)).toBe('42501');
    });
    await asRole(url('relay'), async (c) => {
      expect(await outcome(c, `DELETE FROM event_log WHERE false`)).toBe('ok');
      expect(await outcome(c, `UPDATE consumer_offset SET applied_seq = 0`)).toBe('42501');
    });
  });

  it('lets a role commit events only on the classes its service publishes (regression: main-app could commit trade.open_requested)', async () => {
    const url = (name: string) => serviceDatabaseUrl(db.url, name, passwords.get(name)!);
    const user = uniqueName('rls_');
    // The router's own statement (head upsert + event insert), as each role, publishing on each class.
    for (const service of databaseServices(SERVICES).filter((s) => publishedClasses(s).length > 0)) {
      const router = await testRouter(url(service.name));
      try {
        // (Latest-value classes never reach PostgreSQL: publishLatest writes Redis only.)
        for (const cls of CHANNEL_CLASS_NAMES.filter((c) => deliveryOf(CHANNEL_CLASSES[c]) === 'exactly-once')) {
          const attempt = router.publish(channelOf(cls, user), 'rls.probe', {}).then(
            () => 'ok',
            (err: { code?: string; message?: string }) => err.code ?? err.message,
          );
          expect(await attempt, `${service.name} on ${cls}`).toBe(
            publishedClasses(service).includes(cls) ? 'ok' : '42501',
          );
        }
      } finally {
        await router.close();
      }
    }
    // Latest-value classes never reach PostgreSQL (invariant 14), so not even the roles of the
    // services that publish them may commit one there, however the statement is written.
    for (const service of databaseServices(SERVICES)) {
      for (const cls of publishedClasses(service).filter((c) => deliveryOf(CHANNEL_CLASSES[c]) === 'latest')) {
        await asRole(url(service.name), async (c) => {
          const statement = `INSERT INTO event_log (event_id, channel, seq, type, source, data)
            VALUES (gen_random_uuid(), '${cls}:${user}', 1, 'rls.probe', 'test', '{}')`;
          expect(await outcome(c, statement), `${service.name} on ${cls}`).toBe('42501');
          const head = `INSERT INTO channel_head (channel, last_seq) VALUES ('${cls}:${user}', 1)`;
          expect(await outcome(c, head), `${service.name} on ${cls}`).toBe('42501');
        });
      }
    }
    // Nothing moved the head of a class a role does not publish, however the statement is written.
    const otherHead = `trades:${user}`;
    await asRole(url('main-app'), async (c) => {
      const { rowCount } = await c.query(`UPDATE channel_head SET last_seq = last_seq + 100 WHERE channel = $1`, [
        otherHead,
      ]);
      expect(rowCount).toBe(0);
      expect(await outcome(c, `INSERT INTO channel_head (channel, last_seq) VALUES ('trades:${user}-x', 1)`)).toBe(
        '42501',
      );
      // Reading stays open to a role that holds SELECT: replay reads every channel.
      const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_log WHERE channel = $1`, [
        otherHead,
      ]);
      expect(rows[0]!.n).toBeGreaterThan(0);
    });
  });

  it('runs a consumer as its role: offsets, dead letters (and their id sequence), publishing', async () => {
    const redis = await startPrivateRedis();
    const seen: number[] = [];
    const env = {
      DATABASE_URL: serviceDatabaseUrl(db.url, 'trade-executor', passwords.get('trade-executor')!),
      REDIS_URL: redis.url,
      POD_NAME: 'roles-0',
    };
    const service = await startService({
      config: { ...loadServiceConfig('trade-executor', {}, env), port: 0 },
      logger: pino({ level: 'silent' }),
      async start(ctx) {
        await ctx.consume({
          group: 'roles-test',
          channels: ['settings:u1'],
          handler: async (e) => void seen.push((e.data as { version: number }).version),
        });
      },
    });
    // The updates come from main-app's side (the owner here): the executor's role may not commit a
    // settings event; it publishes only its dead letters' notices on system:health.
    const router = await testRouter(db.url, { redis: { url: redis.url } });
    try {
      const update = { userId: 'u1', version: 1, settings: DEFAULT_SETTINGS };
      await router.publish('settings:u1', 'settings.updated', update);
      // Applied before the bad one arrives: a batch that fails validation is rolled back whole and
      // its handlers run again, which an in-memory list would count twice.
      await expect.poll(() => seen, { timeout: 15_000 }).toEqual([1]);
      // not a settings update, on purpose: the typed router refuses it at compile time, the consumer at run time
      await router.publish('settings:u1', 'settings.updated', { userId: 'u1', version: -1 }); // dead-lettered
      await router.publish('settings:u1', 'settings.updated', { ...update, version: 3 });
      await expect.poll(() => seen, { timeout: 15_000 }).toEqual([1, 3]);
      const { rows } = await asRole(db.url, (c) =>
        c.query(`SELECT (SELECT count(*)::int FROM dead_letter WHERE group_name = 'roles-test') AS letters,
                        (SELECT applied_seq::int FROM consumer_offset WHERE group_name = 'roles-test') AS applied`),
      );
      expect(rows[0]).toEqual({ letters: 1, applied: 3 });
    } finally {
      await router.close();
      await service.close();
      await redis.close();
    }
  });

  it('revokes what it did not grant and creates nothing twice when applied again', async () => {
    const role = databaseRoleName('trade-executor');
    await asRole(db.url, (c) => c.query(`GRANT DELETE ON trade TO ${role}`));
    const again = await applyDatabaseRoles({ databaseUrl: db.url, passwords });
    expect(again.every((r) => !r.created)).toBe(true);
    const { rows } = await asRole(db.url, (c) =>
      c.query(`SELECT has_table_privilege($1, 'trade', 'DELETE') AS d`, [role]),
    );
    expect(rows[0].d).toBe(false);
  });
});

describe('applyDatabaseRoles refusals and races', () => {
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    databases.push(await createTestDatabase({ redisUrl: null }), await createTestDatabase({ redisUrl: null }));
  });
  afterAll(async () => {
    for (const d of databases) await d.drop();
  });

  it('refuses a table the schema does not have, a missing role, and a missing password, changing nothing', async () => {
    const [db] = databases as [TestDatabase];
    const typo = probeService({ trades: ['SELECT'] });
    await expect(
      applyDatabaseRoles({ databaseUrl: db.url, services: [typo], passwords: passwordsOf([typo]) }),
    ).rejects.toMatchObject({
      code: 'TABLE_MISSING',
      message: expect.stringContaining('trades'),
    });
    const unmanaged = probeService({ trade: ['SELECT'] });
    await expect(applyDatabaseRoles({ databaseUrl: db.url, services: [unmanaged] })).rejects.toMatchObject({
      code: 'ROLE_MISSING',
    });
    await expect(
      applyDatabaseRoles({ databaseUrl: db.url, services: [unmanaged], passwords: new Map() }),
    ).rejects.toBeInstanceOf(DatabaseRolesError);
    const { rows } = await asRole(db.url, (c) =>
      c.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname IN ($1, $2)`, [
        databaseRoleName(typo.name),
        databaseRoleName(unmanaged.name),
      ]),
    );
    expect(rows[0].n).toBe(0);
  });

  it('creates one role when two databases apply it at the same moment', async () => {
    const probe = probeService({ trade: ['SELECT'] });
    const role = databaseRoleName(probe.name);
    try {
      const results = await Promise.all(
        databases.map((d) =>
          applyDatabaseRoles({ databaseUrl: d.url, services: [probe], passwords: passwordsOf([probe]) }),
        ),
      );
      expect(results.flat().filter((r) => r.created)).toHaveLength(1);
      for (const d of databases) {
        const { rows } = await asRole(d.url, (c) =>
          c.query(`SELECT has_table_privilege($1, 'trade', 'SELECT') AS s`, [role]),
        );
        expect(rows[0].s).toBe(true);
      }
    } finally {
      await dropRole(databases[0]!.url, role, databases);
    }
  });
});

describe('database-roles CLI', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
    dir = await mkdtemp(join(tmpdir(), 'recio-roles-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (env: Record<string, string>) =>
    run(process.execPath, [CLI], { env: { PATH: process.env.PATH, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('applies the roles from a passwords folder and prints each', async () => {
    for (const s of databaseServices(SERVICES))
      await writeFile(join(dir, s.name), `${randomBytes(8).toString('hex')}\n`);
    const r = await cli({ DATABASE_URL: db.url, DATABASE_ROLE_PASSWORDS_DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^recio_trade_manager(?: \(created\))?: .*trade SELECT,INSERT,UPDATE;/m);
    expect(r.stdout).toMatch(/^recio_trade_executor(?: \(created\))?: .*dead_letter_id_seq USAGE$/m);
    expect(r.stdout.trim().split('\n')).toHaveLength(databaseServices(SERVICES).length);
  });

  it('names a missing password file and a bad DATABASE_URL with stable codes', async () => {
    await rm(join(dir, 'relay'));
    const missing = await cli({ DATABASE_URL: db.url, DATABASE_ROLE_PASSWORDS_DIR: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('database-roles: PASSWORD_MISSING: no password for relay\n');
    const bad = await cli({ DATABASE_URL: 'mysql://x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^database-roles: CONFIG_INVALID: DATABASE_URL/);
    const monitorEnvs: Record<string, string>[] = [
      { DATABASE_MONITOR_ROLE: 'recio_monitor' }, // no folder for its password
      { DATABASE_MONITOR_ROLE: 'Robert"; DROP', DATABASE_ROLE_PASSWORDS_DIR: dir },
    ];
    for (const env of monitorEnvs) {
      const monitor = await cli({ DATABASE_URL: db.url, ...env });
      expect(monitor.code).toBe(2);
      expect(monitor.stderr).toMatch(/^database-roles: CONFIG_INVALID: DATABASE_MONITOR_ROLE/);
    }
  });
});

describe('passwords, on a server that asks for them', () => {
  // The shared test server trusts every local connection; this one checks SCRAM passwords for
  // everyone but its superuser, and logs every statement.
  let server: PostgresHandle;
  let hbaDir: string;
  let ownerUrl: string;
  const passwords = passwordsOf(SERVICES);

  beforeAll(async () => {
    hbaDir = await mkdtemp(join(tmpdir(), 'recio-hba-'));
    await chmod(hbaDir, 0o755); // read by the postgres OS user when the tests run as root
    const hba = join(hbaDir, 'pg_hba.conf');
    await writeFile(
      hba,
      'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
      { mode: 0o644 },
    );
    server = await startPostgres({ settings: { hba_file: hba, log_statement: 'all' } });
    await asRole(server.url, (c) => c.query('CREATE DATABASE recio'));
    ownerUrl = server.url.replace(/\/postgres$/, '/recio');
    await runMigrations({ databaseUrl: ownerUrl });
    await applyDatabaseRoles({ databaseUrl: ownerUrl, passwords });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await rm(hbaDir, { recursive: true, force: true });
  });

  it("gives postgres_exporter's role pg_monitor and no table", async () => {
    const monitoringRole = { name: 'recio_monitor_test', password: randomBytes(12).toString('hex') };
    await applyDatabaseRoles({ databaseUrl: ownerUrl, passwords, monitoringRole });
    const url = new URL(ownerUrl);
    url.username = monitoringRole.name;
    url.password = monitoringRole.password;
    await asRole(url.toString(), async (c) => {
      // It reads the statistics views, other sessions' included (pg_read_all_stats) ...
      const { rows } = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'postgres' OR backend_type <> 'client backend'",
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
      expect(
        (await c.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rowCount,
      ).toBe(1);
      // ... and no row of the platform's.
      for (const table of ['event_log', 'trade', 'consumer_offset'])
        await expect(c.query(`SELECT 1 FROM ${table} LIMIT 1`), table).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('lets each role in with its own password only', async () => {
    for (const name of ['trade-manager', 'relay']) {
      const url = serviceDatabaseUrl(ownerUrl, name, passwords.get(name)!);
      expect(await asRole(url, async (c) => (await c.query('SELECT current_user AS u')).rows[0].u)).toBe(
        databaseRoleName(name),
      );
      const wrong = serviceDatabaseUrl(ownerUrl, name, passwords.get('main-app')!);
      await expect(asRole(wrong, (c) => c.query('SELECT 1'))).rejects.toMatchObject({ code: '28P01' }); // invalid_password
    }
  });

  it('never sends a password in the clear: the server stores and logs only SCRAM verifiers', async () => {
    const { rows } = await asRole(server.url.replace(/\/postgres$/, '/recio'), (c) =>
      c.query<{ p: string }>(`SELECT rolpassword AS p FROM pg_authid WHERE rolname = $1`, [
        databaseRoleName('trade-manager'),
      ]),
    );
    expect(rows[0]!.p).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    const log = await readFile(server.logPath, 'utf8');
    expect(log).toContain('ALTER ROLE'); // statements are logged, so a clear password would show
    for (const password of passwords.values()) expect(log).not.toContain(password);
  });

  it('rotates a password by applying again', async () => {
    const rotated = new Map(passwords).set('relay', randomBytes(12).toString('hex'));
    await applyDatabaseRoles({ databaseUrl: ownerUrl, passwords: rotated });
    await expect(
      asRole(serviceDatabaseUrl(ownerUrl, 'relay', passwords.get('relay')!), (c) => c.query('SELECT 1')),
    ).rejects.toMatchObject({ code: '28P01' });
    expect(
      await asRole(
        serviceDatabaseUrl(ownerUrl, 'relay', rotated.get('relay')!),
        async (c) => (await c.query('SELECT 1 AS one')).rows[0].one,
      ),
    ).toBe(1);
    await applyDatabaseRoles({ databaseUrl: ownerUrl, passwords });
  });

  it('refuses a password a URL or SASLprep would change', async () => {
    const spaced = new Map(passwords).set('relay', 'has space');
    await expect(applyDatabaseRoles({ databaseUrl: ownerUrl, passwords: spaced })).rejects.toMatchObject({
      code: 'PASSWORD_INVALID',
    });
    expect(scramSha256Verifier('pw', Buffer.alloc(16), 4096)).toMatch(
      /^SCRAM-SHA-256\$4096:AAAAAAAAAAAAAAAAAAAAAA==\$/,
    );
  });
});
