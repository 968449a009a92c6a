import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '@recio/router';
import { DATABASE_URL, databaseUrl } from './env.js';

import './provided-context.js';

/**
 * Builds a migrated template database once per run; each integration test file clones it
 * (CREATE DATABASE … TEMPLATE), which is much faster than migrating per file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One template per project that uses this setup (int, e2e), all of this run's process.
  const template = `recio_template_${process.pid}_${project.name.replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
  const admin = new pg.Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
  await admin.connect();
  try {
    await dropStaleTemplates(admin);
    await admin.query(`CREATE DATABASE ${template}`);
    await runMigrations({ databaseUrl: databaseUrl(DATABASE_URL, template) });
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } finally {
    await admin.end();
  }
  project.provide('templateDatabase', template);
  return async () => {
    const client = new pg.Client({ connectionString: databaseUrl(DATABASE_URL, 'postgres') });
    await client.connect();
    await client.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE false`);
    await client.query(`DROP DATABASE IF EXISTS ${template}`);
    await client.end();
  };
}

// Databases left by runs that were killed (templates and per-file clones), not a live run's.
async function dropStaleTemplates(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^recio_(template|t)_[0-9a-z_]+$'`,
  );
  for (const { datname } of rows) {
    // Templates and clones carry the pid of the run that made them: another live run's are kept.
    const pid =
      /^recio_template_(\d+)(_[a-z0-9]+)?$/.exec(datname)?.[1] ?? /^recio_t_(\d+)_[0-9a-f]+$/.exec(datname)?.[1];
    if (pid && isAlive(Number(pid))) continue;
    await admin.query(`ALTER DATABASE ${datname} WITH IS_TEMPLATE false`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
