import {
  databaseGrants,
  databaseRoleName,
  databaseServices,
  committedClasses,
  SERVICES,
  type ServiceSpec,
  type TableGrants,
} from '@recio/platform';
import { RecioError } from '@recio/router';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

/** Why the roles could not be applied; `code` is stable. */
export class DatabaseRolesError extends RecioError {}

/** Options of {@link applyDatabaseRoles}. */
export interface ApplyDatabaseRolesOptions {
  /** Connection string of the tables' owner (the user the migrations ran as). */
  databaseUrl: string;
  /** @defaultValue SERVICES from @recio/platform */
  services?: readonly ServiceSpec[];
  /**
   * A password per service name. Given, this step owns the roles: it creates a missing one and sets
   * every password on each run (a rotated Secret takes effect on the next deploy). Not given, someone
   * else owns them (CloudNativePG's managed roles) and each must already exist.
   */
  passwords?: ReadonlyMap<string, string>;
  /**
   * A monitoring role this step owns as well (kind: postgres_exporter's): created when missing, its
   * password set on every run, a member of `pg_monitor` and granted nothing else (it reads the
   * statistics views, never a table). @defaultValue none
   */
  monitoringRole?: { name: string; password: string };
}

/** One role as applied. */
export interface AppliedRole {
  service: string;
  role: string;
  created: boolean;
  tables: TableGrants;
  /** Sequences behind columns of tables it inserts into (USAGE, for their defaults). */
  sequences: string[];
  /** Channel classes whose events it may insert (row-level security on event_log and channel_head). */
  classes: string[];
}

/** The tables whose rows name a channel, guarded by class (row-level security). */
const CHANNEL_TABLES = ['event_log', 'channel_head'] as const;

// Printable ASCII, no space: what SASLprep leaves as it is, and what a URL carries once escaped.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const DUPLICATE = new Set(['42710', '23505']); // duplicate_object; unique_violation when two databases race

/**
 * Gives each service's role exactly the privileges of `databaseGrants` on the current database's
 * schema, and nothing else there (everything is revoked first, in the same transaction, so a running
 * service never sees a gap). Run after every migration: a new table is granted to no one until the
 * catalogue names it. A table the catalogue names that does not exist fails the whole step.
 *
 * Events are guarded by class too: row-level security on `event_log` and `channel_head` lets a role
 * insert (and advance the head of) only channels of the classes its service commits there
 * (`committedClasses`: those it publishes, less the latest-value ones, which never reach
 * PostgreSQL), so main-app cannot commit a `trades:` event however its code is bent. Reads
 * stay open to whoever holds SELECT; the owner (migrations, `recio` as the owner) is not subject.
 */
export async function applyDatabaseRoles(options: ApplyDatabaseRolesOptions): Promise<AppliedRole[]> {
  const services = databaseServices(options.services ?? SERVICES);
  const passwords = options.passwords;
  if (passwords) {
    const missing = services.filter((s) => !passwords.get(s.name));
    if (missing.length > 0) {
      throw new DatabaseRolesError('PASSWORD_MISSING', `no password for ${missing.map((s) => s.name).join(', ')}`);
    }
    const odd = services.filter((s) => !PRINTABLE_ASCII.test(passwords.get(s.name)!));
    if (odd.length > 0) {
      throw new DatabaseRolesError(
        'PASSWORD_INVALID',
        `the password of ${odd.map((s) => s.name).join(', ')} is not printable ASCII`,
      );
    }
  }
  const monitoring = options.monitoringRole;
  if (monitoring && !PRINTABLE_ASCII.test(monitoring.password))
    throw new DatabaseRolesError('PASSWORD_INVALID', `the password of ${monitoring.name} is not printable ASCII`);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Two deploys racing on one database apply one after the other.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('recio database roles'))");
    const { rows: here } = await client.query<{ db: string; schema: string }>(
      'SELECT current_database() AS db, current_schema() AS schema',
    );
    const { db, schema } = here[0]!;
    const tables = await existingTables(client, schema);
    const sequencesOf = await ownedSequences(client, schema);
    const applied: AppliedRole[] = [];
    if (CHANNEL_TABLES.every((t) => tables.has(t))) await enableChannelSecurity(client, schema);
    for (const service of services) {
      const role = databaseRoleName(service.name);
      const grants = databaseGrants(service);
      const absent = Object.keys(grants).filter((t) => !tables.has(t));
      if (absent.length > 0) {
        throw new DatabaseRolesError(
          'TABLE_MISSING',
          `${service.name} is granted ${absent.join(', ')}, which ${schema} does not have (run the migrations first)`,
        );
      }
      const created = passwords
        ? await ensureRole(client, role, passwords.get(service.name)!)
        : await requireRole(client, role);
      const r = client.escapeIdentifier(role);
      const s = client.escapeIdentifier(schema);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db)} TO ${r}`);
      await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
      await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`);
      await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`);
      for (const [table, privileges] of Object.entries(grants)) {
        await client.query(`GRANT ${privileges.join(', ')} ON ${s}.${client.escapeIdentifier(table)} TO ${r}`);
      }
      const inserts = Object.entries(grants)
        .filter(([, p]) => p.includes('INSERT'))
        .map(([t]) => t);
      const sequences = inserts.flatMap((t) => sequencesOf.get(t) ?? []).sort();
      for (const seq of sequences)
        await client.query(`GRANT USAGE ON SEQUENCE ${s}.${client.escapeIdentifier(seq)} TO ${r}`);
      const classes = grants['event_log']?.includes('INSERT') ? committedClasses(service) : [];
      await applyChannelPolicies(client, schema, role, classes);
      applied.push({ service: service.name, role, created, tables: grants, sequences, classes });
    }
    if (monitoring) {
      await ensureRole(client, monitoring.name, monitoring.password);
      const r = client.escapeIdentifier(monitoring.name);
      await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db)} TO ${r}`);
      await client.query(`GRANT pg_monitor TO ${r}`);
    }
    // Only the owner creates objects (PostgreSQL 15 already refuses PUBLIC; older servers did not).
    await client.query(`REVOKE CREATE ON SCHEMA ${client.escapeIdentifier(schema)} FROM PUBLIC`);
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * Row-level security on the channel tables, on (idempotent): every row may be read, and deleted
 * (retention), by whoever holds that privilege; inserts and updates only by a role's own policies.
 */
async function enableChannelSecurity(client: pg.Client, schema: string): Promise<void> {
  for (const table of CHANNEL_TABLES) {
    const t = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
    await client.query(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
    for (const command of ['select', 'delete'] as const) {
      await client.query(`DROP POLICY IF EXISTS recio_${command} ON ${t}`);
      await client.query(`CREATE POLICY recio_${command} ON ${t} FOR ${command.toUpperCase()} USING (true)`);
    }
  }
}

/**
 * A role's policies on the channel tables, replaced by one per command naming its classes (a role
 * that publishes nothing keeps none, so it may insert nothing). Named after the role.
 */
async function applyChannelPolicies(client: pg.Client, schema: string, role: string, classes: string[]): Promise<void> {
  const r = client.escapeIdentifier(role);
  const allowed = `split_part(channel, ':', 1) = ANY (${client.escapeLiteral(`{${classes.join(',')}}`)}::text[])`;
  for (const table of CHANNEL_TABLES) {
    const t = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
    for (const command of ['insert', 'update'] as const) {
      const name = client.escapeIdentifier(`${role}_${command}`);
      await client.query(`DROP POLICY IF EXISTS ${name} ON ${t}`);
      if (classes.length === 0) continue;
      const check = command === 'insert' ? `WITH CHECK (${allowed})` : `USING (${allowed}) WITH CHECK (${allowed})`;
      await client.query(`CREATE POLICY ${name} ON ${t} FOR ${command.toUpperCase()} TO ${r} ${check}`);
    }
  }
}

async function existingTables(client: pg.Client, schema: string): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
    [schema],
  );
  return new Set(rows.map((r) => r.name));
}

/** Table → the sequences owned by its columns (serial and identity columns), for the whole schema. */
async function ownedSequences(client: pg.Client, schema: string): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ t: string; s: string }>(
    `SELECT t.relname AS t, s.relname AS s
       FROM pg_class s
       JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
       JOIN pg_class t ON t.oid = d.refobjid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE s.relkind = 'S' AND n.nspname = $1`,
    [schema],
  );
  const byTable = new Map<string, string[]>();
  for (const r of rows) byTable.set(r.t, [...(byTable.get(r.t) ?? []), r.s]);
  return byTable;
}

/** Creates the role when missing (LOGIN and nothing more), then sets its password. True if created. */
async function ensureRole(client: pg.Client, role: string, password: string): Promise<boolean> {
  const r = client.escapeIdentifier(role);
  let created = false;
  if (!(await roleExists(client, role))) {
    // Roles belong to the server, not the database: another database's run may create it first.
    await client.query('SAVEPOINT create_role');
    try {
      await client.query(`CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`);
      await client.query('RELEASE SAVEPOINT create_role');
      created = true;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT create_role');
      if (!DUPLICATE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
  // Sent as a SCRAM verifier: the server (its statement log included) never sees the password.
  await retryConcurrentUpdate(
    client,
    `ALTER ROLE ${r} WITH LOGIN PASSWORD ${client.escapeLiteral(scramSha256Verifier(password))}`,
  );
  return created;
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677; the form
 * `CREATE ROLE … PASSWORD` accepts pre-hashed): `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
 * `password` is printable ASCII, which SASLprep leaves unchanged.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Runs a statement that updates a shared catalog row (a role), retrying when another database's run
 * updated the same row at the same moment: PostgreSQL refuses that ("tuple concurrently updated")
 * rather than waiting, and advisory locks, being per database, cannot order the two.
 */
async function retryConcurrentUpdate(client: pg.Client, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await client.query('SAVEPOINT shared_catalog');
    try {
      await client.query(sql);
      await client.query('RELEASE SAVEPOINT shared_catalog');
      return;
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT shared_catalog');
      const concurrent = err instanceof Error && /tuple concurrently updated/.test(err.message);
      if (!concurrent || attempt === 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

async function requireRole(client: pg.Client, role: string): Promise<false> {
  if (!(await roleExists(client, role))) {
    throw new DatabaseRolesError(
      'ROLE_MISSING',
      `role ${role} does not exist; whoever manages the roles (CloudNativePG's managed roles in the cloud profile) creates it`,
    );
  }
  return false;
}

async function roleExists(client: pg.Client, role: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  return rows.length > 0;
}
