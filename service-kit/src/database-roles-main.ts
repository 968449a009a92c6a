#!/usr/bin/env node
/**
 * The database-roles step, run after the migrations (`make dev`'s oneshot, the charts' migrate Job):
 *   DATABASE_URL=<the tables' owner> [DATABASE_ROLE_PASSWORDS_DIR=<dir>] [DATABASE_MONITOR_ROLE=<role>] node service-kit/dist/database-roles-main.js
 * With DATABASE_ROLE_PASSWORDS_DIR (one file per service, named after it, holding its password) the
 * step creates missing roles and sets their passwords; without it the roles must exist already.
 * DATABASE_MONITOR_ROLE names a role for postgres_exporter (its password the file of that name in the
 * directory): created or updated, a member of pg_monitor, nothing else.
 * Prints one line per role; exits 1 with `database-roles: CODE: message` when it cannot apply them,
 * 2 on a bad environment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { databaseServices, SERVICES } from '@recio/platform';
import { errorCode } from '@recio/router';
import { applyDatabaseRoles } from './database-roles.js';
import { readPasswordFiles } from './password-files.js';

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write(
      "database-roles: CONFIG_INVALID: DATABASE_URL: expected the owner's postgres:// connection string\n",
    );
    return 2;
  }
  const dir = env.DATABASE_ROLE_PASSWORDS_DIR;
  const passwords = dir ? await readPasswordFiles(dir, databaseServices(SERVICES)) : undefined;
  // The monitoring role (kind's postgres_exporter): its password is a file of the same directory.
  const monitor = env.DATABASE_MONITOR_ROLE;
  if (monitor !== undefined && (!dir || !/^[a-z_][a-z0-9_]*$/.test(monitor))) {
    process.stderr.write(
      'database-roles: CONFIG_INVALID: DATABASE_MONITOR_ROLE: a role name ([a-z_][a-z0-9_]*), with DATABASE_ROLE_PASSWORDS_DIR holding its password\n',
    );
    return 2;
  }
  const monitoringRole =
    monitor && dir ? { name: monitor, password: (await readFile(join(dir, monitor), 'utf8')).trim() } : undefined;
  const applied = await applyDatabaseRoles({
    databaseUrl,
    ...(passwords ? { passwords } : {}),
    ...(monitoringRole ? { monitoringRole } : {}),
  });
  for (const r of applied) {
    const tables = Object.entries(r.tables).map(([t, p]) => `${t} ${p.join(',')}`);
    const seqs = r.sequences.map((s) => `${s} USAGE`);
    process.stdout.write(`${r.role}${r.created ? ' (created)' : ''}: ${[...tables, ...seqs].join('; ')}\n`);
  }
  if (monitoringRole) process.stdout.write(`${monitoringRole.name}: pg_monitor\n`);
  return 0;
}

main(process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // PostgreSQL's own refusals carry a SQLSTATE (42501: not allowed to create roles, ...).
    const code = errorCode(err).replace(/^([0-9A-Z]{5})$/, 'PG_$1');
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`database-roles: ${code === 'UNKNOWN' ? 'ERROR' : code}: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  },
);
