import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { BinaryNotFoundError } from './errors.js';

/** What to install when a binary is missing (Debian/Ubuntu package names). */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  'redis-server': 'install Redis (apt-get install redis-server)',
  'redis-cli': 'install Redis (apt-get install redis-tools)',
  initdb: 'install PostgreSQL (apt-get install postgresql)',
  postgres: 'install PostgreSQL (apt-get install postgresql)',
};

/** Debian keeps the PostgreSQL server binaries off PATH, one directory per major version. */
const POSTGRES_LIB_DIR = '/usr/lib/postgresql';

/** The PostgreSQL bin directories under /usr/lib/postgresql, newest major version first. */
export function postgresBinDirs(): string[] {
  let versions: string[];
  try {
    versions = readdirSync(POSTGRES_LIB_DIR);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(POSTGRES_LIB_DIR, v, 'bin'));
}

/** Absolute path of an executable `name` on PATH, else in `extraDirs`, else undefined. */
export function findBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...pathDirs, ...extraDirs]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Like {@link findBinary} but throws a BinaryNotFoundError that says what to install. */
export function requireBinary(name: string, extraDirs: readonly string[] = []): string {
  const found = findBinary(name, extraDirs);
  if (found === undefined) throw new BinaryNotFoundError(name, INSTALL_HINTS[name] ?? `install ${name}`);
  return found;
}

/**
 * The PostgreSQL server binaries: `postgres` from PATH, else /usr/lib/postgresql/<newest>/bin,
 * and `initdb` from the same directory (after following symlinks), so both have the same
 * major version; a data directory only opens with the version that created it.
 */
export function requirePostgresBinaries(): { initdb: string; postgres: string } {
  const postgres = requireBinary('postgres', postgresBinDirs());
  const sibling = join(dirname(realpathSync(postgres)), 'initdb');
  const initdb = exists(sibling) ? sibling : findBinary('initdb', postgresBinDirs());
  if (initdb === undefined) throw new BinaryNotFoundError('initdb', INSTALL_HINTS['initdb'] ?? 'install PostgreSQL');
  return { initdb, postgres };
}

function exists(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
