import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from './free-port.js';
import { ensureLocalServices, stopLocalServices } from './local-services.js';
import { probePostgres } from './postgres-process.js';
import { pingRedis } from './redis-client.js';

const run = promisify(execFile);
/** The built CLI: `npx tsc -b topology` first (the documented test command does). */
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A throwaway repository root: package.json with "workspaces", searchable by the postgres OS user. */
function makeProjectRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'recio-root-'));
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'scratch', private: true, workspaces: [] }));
  return root;
}

async function cli(
  root: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

function parseExports(stdout: string): { REDIS_URL: string; DATABASE_URL: string; RECIO_PRIVATE_SERVICES?: string } {
  const match = /^export REDIS_URL=(\S+) DATABASE_URL=(\S+?)( RECIO_PRIVATE_SERVICES=1)?\n$/.exec(stdout);
  if (match === null) throw new Error(`unexpected output: ${JSON.stringify(stdout)}`);
  return { REDIS_URL: match[1]!, DATABASE_URL: match[2]!, ...(match[3] ? { RECIO_PRIVATE_SERVICES: '1' } : {}) };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npx tsc -b topology" first`);
});

describe('recio-services with nothing answering at the configured URLs', () => {
  const root = makeProjectRoot();
  let env: Record<string, string>;

  beforeAll(async () => {
    env = {
      REDIS_URL: `redis://127.0.0.1:${await getFreePort()}`,
      DATABASE_URL: `postgres://127.0.0.1:${await getFreePort()}/recio_dev`,
    };
  });

  afterAll(async () => {
    // Through the public API, in case a test failed before its own `stop`.
    await stopLocalServices({ root, log: () => undefined });
    rmSync(root, { recursive: true, force: true });
  });

  it('ensure starts private servers under .recio/ that outlive the CLI, and prints their URLs', async () => {
    const first = await cli(join(root), ['ensure'], env);
    expect(first.code).toBe(0);
    const urls = parseExports(first.stdout);
    expect(urls.RECIO_PRIVATE_SERVICES).toBe('1');
    expect(urls.REDIS_URL).not.toBe(env['REDIS_URL']);
    expect(urls.DATABASE_URL).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/recio_dev$/);
    expect(readFileSync(join(root, '.recio', 'env'), 'utf8')).toBe(first.stdout);
    expect(existsSync(join(root, '.recio', 'redis', 'daemon.json'))).toBe(true);
    expect(existsSync(join(root, '.recio', 'postgres', 'daemon.json'))).toBe(true);

    // The CLI has exited; its servers still answer, and the database named in the URL exists.
    await pingRedis(urls.REDIS_URL);
    await probePostgres(urls.DATABASE_URL);

    // A second ensure reuses them instead of starting more (and so does not claim them as its own).
    const second = await cli(root, ['ensure'], env);
    expect(second.code).toBe(0);
    const { RECIO_PRIVATE_SERVICES: _startedHere, ...reused } = urls;
    expect(parseExports(second.stdout)).toEqual(reused);
    expect(second.stderr).toContain('using the private server');
  });

  it('stop stops exactly the servers ensure started', async () => {
    const urls = parseExports(readFileSync(join(root, '.recio', 'env'), 'utf8'));
    const stopped = await cli(root, ['stop'], {});
    expect(stopped.code).toBe(0);

    await expect(pingRedis(urls.REDIS_URL)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(probePostgres(urls.DATABASE_URL)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(existsSync(join(root, '.recio', 'redis', 'daemon.json'))).toBe(false);
    expect(existsSync(join(root, '.recio', 'env'))).toBe(false);

    const again = await cli(root, ['stop'], {});
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('no private servers running');
  });

  it('exits 1 with one line saying what to install when redis-server is missing', async () => {
    const result = await cli(root, ['ensure'], { ...env, PATH: '/nonexistent' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `recio-services: redis-server not found on PATH and nothing answers at ${env['REDIS_URL']}: install Redis (apt-get install redis-server)`,
    ]);
  });
});

describe('ensureLocalServices with the default servers reachable', () => {
  const root = makeProjectRoot();
  // Not recio_t_* / recio_template_*: the router's global setup drops those as stale.
  const database = `topology_ls_${randomBytes(4).toString('hex')}`;
  const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${database}`);
    } finally {
      await admin.end();
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('starts nothing, and creates the missing database even when two ensure calls race', async () => {
    const options = { root, databaseUrl: `postgres://127.0.0.1:5432/${database}`, log: () => undefined };
    const [a, b] = await Promise.all([ensureLocalServices(options), ensureLocalServices(options)]);

    expect(a).toMatchObject({ redis: 'external', postgres: 'external', redisUrl: 'redis://127.0.0.1:6379' });
    expect(a.env).not.toHaveProperty('RECIO_PRIVATE_SERVICES');
    expect(b).toEqual(a);
    // A URL without a user gets libpq's default written in, so clients do not depend on $USER.
    expect(new URL(a.databaseUrl).username).not.toBe('');
    expect(new URL(a.databaseUrl).pathname).toBe(`/${database}`);
    await probePostgres(a.databaseUrl);

    expect(existsSync(join(root, '.recio', 'redis'))).toBe(false);
    expect(existsSync(join(root, '.recio', 'postgres'))).toBe(false);
    expect(await stopLocalServices({ root, log: () => undefined })).toEqual({ redis: false, postgres: false });
  });
});
