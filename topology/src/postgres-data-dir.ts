import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { InvalidOptionError } from './errors.js';

const execFileAsync = promisify(execFile);

/** The unprivileged account PostgreSQL runs as when we are root (it exists on Debian with the server package). */
export const POSTGRES_OS_USER = 'postgres';

/** A uid/gid pair to spawn as. */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The identity to run initdb/postgres as: undefined when we are not root; when we are root (CI,
 * containers), the `postgres` OS user, because both programs refuse to run as root.
 */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const fromPasswd = lookupPasswd(POSTGRES_OS_USER);
  if (fromPasswd !== undefined) return fromPasswd;
  try {
    // Accounts from NSS (LDAP, sssd) are not in /etc/passwd.
    const uid = Number(execFileSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (err) {
    throw new Error(
      `running as root and there is no "${POSTGRES_OS_USER}" OS user to run PostgreSQL as: create one (useradd --system ${POSTGRES_OS_USER}) or run as a normal user`,
      { cause: err },
    );
  }
}

function lookupPasswd(user: string): RunAs | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === user && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // no /etc/passwd: ask id(1)
  }
  return undefined;
}

/** Whether `dir` holds an initialised cluster. */
export function isDataDir(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

/**
 * Creates `dir` (mode 0700, owned by `runAs`) and checks that `runAs` can reach it: every
 * ancestor must be searchable by that user, or PostgreSQL fails with a bare "permission denied".
 */
export function prepareDataDir(dir: string, runAs: RunAs | undefined): void {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  if (runAs !== undefined) {
    chownSync(abs, runAs.uid, runAs.gid);
    for (let d = dirname(abs); ; d = dirname(d)) {
      const st = statSync(d);
      const searchable =
        (st.mode & 0o001) !== 0 ||
        (st.uid === runAs.uid && (st.mode & 0o100) !== 0) ||
        (st.gid === runAs.gid && (st.mode & 0o010) !== 0);
      if (!searchable) {
        throw new InvalidOptionError(
          'dir',
          `${d} is not searchable by the "${POSTGRES_OS_USER}" OS user, so PostgreSQL cannot reach ${abs}: chmod o+x ${d} or choose another directory`,
        );
      }
      if (d === dirname(d)) break;
    }
  }
  chmodSync(abs, 0o700);
}

/**
 * Runs initdb in an empty `dir`: trust authentication for local development and tests,
 * superuser `postgres`, UTF8 with the C locale (byte-order collation, as CloudNativePG defaults to).
 */
export async function initDataDir(initdb: string, dir: string, runAs: RunAs | undefined, sync: boolean): Promise<void> {
  if (readdirSync(dir).length > 0) {
    throw new InvalidOptionError('dir', `${dir} is neither empty nor a PostgreSQL data directory`);
  }
  const args = ['-D', dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'];
  if (!sync) args.push('--no-sync');
  try {
    await execFileAsync(initdb, args, {
      cwd: dir,
      uid: runAs?.uid,
      gid: runAs?.gid,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`initdb failed for ${dir}:\n${e.stderr ?? ''}${e.stdout ?? ''}`.trimEnd(), { cause: err });
  }
}

/** Longest Unix socket path (sun_path is 108 bytes on Linux, including the NUL). */
const MAX_SOCKET_PATH = 107;

/** Arguments for `postgres`: TCP on 127.0.0.1 only, the socket in the data directory when the path fits. */
export function postgresArgs(dir: string, port: number, settings: Readonly<Record<string, string | number>>): string[] {
  const socketFits = join(dir, `.s.PGSQL.${port}.lock`).length <= MAX_SOCKET_PATH;
  const args = ['-D', dir, '-p', String(port), '-k', socketFits ? dir : '', '-c', 'listen_addresses=127.0.0.1'];
  for (const key of Object.keys(settings).sort()) args.push('-c', `${key}=${String(settings[key])}`);
  return args;
}
