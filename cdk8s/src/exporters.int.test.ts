/**
 * The charts' exporters, run for real with the environment the charts give their containers (only
 * the addresses and the secret values swapped for this machine's): Debian's prometheus-redis-exporter
 * (1.45) against redis-server started from the charts' own files, as the exporter's ACL user; and
 * prometheus-postgres-exporter (0.11) against the local PostgreSQL as a role holding pg_monitor and
 * nothing else. Each is scraped over HTTP like Prometheus does; the series the dashboards and alert
 * rules read must be there, under these names. The pinned images are newer (images.ts); what the
 * newer redis_exporter calls beyond 1.45 is named below.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getFreePort } from '@recio/topology';
import { createTestDatabase, DATABASE_URL, databaseUrl, until, type TestDatabase } from '@recio/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartObjects, configMapData, type Obj } from '../test/chart-objects.js';
import { Clients, passwords, substitute } from '../test/chart-redis.js';
import { dashboards, panelQueries } from './dashboards.js';
import { ruleGroups } from './monitoring.js';
import { MONITOR_ROLE } from './postgres-exporter.js';
import { REDIS_ACL_SECRET, REDIS_EXPORTER_COMMANDS, REDIS_EXPORTER_USER } from './redis-acl.js';

/** Runs `statements` with psql on database `url` (stops at the first error); resolves to its output. */
async function psql(url: string, statements: string): Promise<string> {
  const { stdout } = await promisify(execFile)('psql', [url, '-v', 'ON_ERROR_STOP=1', '-Atc', statements]);
  return stdout.trim();
}

/** The environment of container `name` in workload `workload`, Secret references resolved by `secret`. */
function containerEnv(
  objs: Obj[],
  workload: string,
  name: string,
  secret: (ref: { name: string; key: string }) => string,
): Record<string, string> {
  const w = objs.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === workload)!;
  const c = w.spec.template.spec.containers.find((x: Obj) => x.name === name);
  return Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value ?? secret(e.valueFrom.secretKeyRef)]));
}

/** Starts an exporter with exactly `env` (and PATH), keeping its output for the assertions. */
function startExporter(bin: string, env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  const proc = spawn(bin, [], { env: { PATH: process.env.PATH ?? '/usr/bin', ...env }, stdio: 'pipe' });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { proc, output: () => output };
}

/** One scrape of `/metrics`, as series text → value. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`scrape: HTTP ${res.status}`);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

const names = (series: Map<string, number>) => new Set([...series.keys()].map((s) => s.replace(/\{.*$/, '')));

/** The names with `prefix` that the stream-health dashboard's panels and the alert rules read. */
function namesRead(prefix: RegExp): string[] {
  const exprs = [
    ...panelQueries(dashboards().get('recio-stream-health')).map((q) => q.expr),
    ...(ruleGroups() as { rules: { expr: string }[] }[]).flatMap((g) => g.rules.map((r) => r.expr)),
  ];
  return [...new Set(exprs.flatMap((e) => [...e.matchAll(prefix)].map((m) => m[1]!)))].sort();
}

describe.each(['sentinel', 'cluster'] as const)('redis_exporter in the %s charts, as the exporter ACL user', (mode) => {
  const clients = new Clients();
  let dir = '';
  let server: ChildProcess | undefined;
  let exporter: ReturnType<typeof startExporter> | undefined;
  let redisPort = 0;
  let httpPort = 0;
  let series = new Map<string, number>();
  let commandStats = '';

  beforeAll(async () => {
    const objs = chartObjects({ profile: 'kind', redisMode: mode });
    const data = configMapData(objs, mode === 'sentinel' ? 'redis-config' : 'redis-cluster-config');
    dir = await mkdtemp(join(tmpdir(), `recio-exporter-${mode}-`));
    redisPort = await getFreePort();
    httpPort = await getFreePort();
    const conf = substitute(data[mode === 'sentinel' ? 'redis-master.conf' : 'redis.conf']!, {
      SELF_HOST: '127.0.0.1',
    }).replace(/^dir \/data$/m, `dir ${dir}`);
    await writeFile(join(dir, 'redis.conf'), conf);
    server = spawn('redis-server', [join(dir, 'redis.conf'), '--port', String(redisPort), '--bind', '127.0.0.1'], {
      stdio: 'ignore',
    });
    // a client per attempt: one refused while the server starts stays closed
    await until('redis', async () =>
      (await clients.connect(redisPort, 'admin').ping()) === 'PONG' ? true : undefined,
    );
    const admin = clients.connect(redisPort, 'admin');
    await admin.call('ACL', 'LOG', 'RESET');
    await admin.call('CONFIG', 'RESETSTAT');

    const env = containerEnv(objs, mode === 'sentinel' ? 'redis' : 'redis-cluster', 'exporter', (ref) => {
      expect(ref.name).toBe(REDIS_ACL_SECRET);
      return passwords[ref.key]!;
    });
    // What the pod has, then this machine's addresses for the pod's loopback and port.
    expect([env['REDIS_ADDR'], env['REDIS_EXPORTER_WEB_LISTEN_ADDRESS']]).toEqual(['redis://localhost:6379', ':9121']);
    exporter = startExporter('prometheus-redis-exporter', {
      ...env,
      REDIS_ADDR: `redis://127.0.0.1:${redisPort}`,
      REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${httpPort}`,
    });
    // Two scrapes, as Prometheus would make: the second on a fresh connection too.
    await until('a scrape with redis_up', async () => (await scrape(httpPort)).has('redis_up'), { timeoutMs: 20_000 });
    series = await scrape(httpPort);
    commandStats = await admin.info('commandstats');
  });

  afterAll(async () => {
    clients.closeAll();
    exporter?.proc.kill('SIGKILL');
    server?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the server up, with the series the dashboards and the alert rules read', () => {
    expect(series.get('redis_up'), exporter?.output()).toBe(1);
    const info = [...series.keys()].find((s) => s.startsWith('redis_instance_info{'));
    expect(info).toMatch(/role="master"/);
    const missing = namesRead(/\b(redis_[a-z_]+)/g).filter((n) => !names(series).has(n));
    expect(missing).toEqual([]);
    expect(namesRead(/\b(redis_[a-z_]+)/g)).toEqual(
      expect.arrayContaining(['redis_connected_clients', 'redis_memory_used_bytes', 'redis_up']),
    );
    if (mode === 'cluster') expect(series.get('redis_cluster_enabled')).toBe(1);
  });

  it('was refused nothing (ACL LOG empty), and used every command it is granted (least privilege)', async () => {
    const admin = clients.connect(redisPort, 'admin');
    expect(await admin.call('ACL', 'LOG')).toEqual([]);
    const stats = [...commandStats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+),.*rejected_calls=(\d+)/gm)].map(
      ([, cmd, calls, rejected]) => ({ cmd: cmd!, calls: Number(calls), rejected: Number(rejected) }),
    );
    expect(stats.filter((s) => s.rejected > 0)).toEqual([]);
    // config|resetstat is this test's own, after which the exporter connected and scraped
    const used = new Set(stats.map((s) => s.cmd).filter((c) => !['config|resetstat', 'auth'].includes(c)));
    const granted = REDIS_EXPORTER_COMMANDS.filter((c) => c.startsWith('+')).map((c) => c.slice(1));
    expect([...used].filter((c) => !granted.includes(c))).toEqual([]);
    // Granted and not called here: LATENCY HISTOGRAM is called by v1.48 and later (the pinned image),
    // not by 1.45; CLUSTER INFO only where INFO says cluster_enabled:1.
    const unusedHere = ['latency|histogram', ...(mode === 'sentinel' ? ['cluster|info'] : [])];
    expect(granted.filter((c) => !used.has(c)).sort()).toEqual(unusedHere.sort());
  });

  it('may read no key and no configuration: refusals land in ACL LOG (the check above can fail)', async () => {
    const user = clients.connect(redisPort, REDIS_EXPORTER_USER);
    await expect(user.get('cache:prices:btc:current')).rejects.toThrow(/NOPERM/);
    await expect(user.config('GET', 'masterauth')).rejects.toThrow(/NOPERM/);
    await expect(user.call('SCAN', '0')).rejects.toThrow(/NOPERM/);
    const log = (await clients.connect(redisPort, 'admin').call('ACL', 'LOG')) as unknown[][];
    expect(log.length).toBeGreaterThanOrEqual(3);
    for (const entry of log) expect(entry[entry.indexOf('username') + 1]).toBe(REDIS_EXPORTER_USER);
  });
});

describe('postgres_exporter in the kind charts, as a pg_monitor role', () => {
  const role = `recio_monitor_t_${randomBytes(4).toString('hex')}`;
  const postgres = databaseUrl(DATABASE_URL, 'postgres');
  let db: TestDatabase | undefined;
  let exporter: ReturnType<typeof startExporter> | undefined;
  let series = new Map<string, number>();

  beforeAll(async () => {
    db = await createTestDatabase({ redisUrl: null });
    // The role as the database-roles step is to create it (docs/deploy.md "PostgreSQL roles"):
    // LOGIN, member of pg_monitor, nothing else. Roles are the server's: a name of this run's own.
    await psql(
      postgres,
      `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; GRANT pg_monitor TO ${role}`,
    );
    const httpPort = await getFreePort();
    const objs = chartObjects({ profile: 'kind', redisMode: 'sentinel' });
    const env = containerEnv(objs, 'postgres-exporter', 'exporter', () => randomBytes(8).toString('hex'));
    expect([env['DATA_SOURCE_URI'], env['DATA_SOURCE_USER']]).toEqual([
      'postgres:5432/recio?sslmode=disable',
      MONITOR_ROLE,
    ]);
    const server = new URL(DATABASE_URL);
    exporter = startExporter('prometheus-postgres-exporter', {
      ...env,
      // this machine's server and this file's database, the chart's parameters kept
      DATA_SOURCE_URI: env['DATA_SOURCE_URI']!.replace(
        'postgres:5432/recio',
        `${server.hostname}:${server.port || 5432}/${db.name}`,
      ),
      DATA_SOURCE_USER: role,
      PG_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${httpPort}`,
    });
    await until('a scrape with pg_up', async () => (await scrape(httpPort)).has('pg_up'), { timeoutMs: 20_000 });
    series = await scrape(httpPort);
  });

  afterAll(async () => {
    exporter?.proc.kill('SIGKILL');
    await psql(postgres, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await db?.drop();
  });

  it('reports the server up, its scrape clean, with the series the dashboards and the alert rules read', () => {
    expect(series.get('pg_up'), exporter?.output()).toBe(1);
    expect(series.get('pg_exporter_last_scrape_error')).toBe(0);
    expect(exporter?.output()).not.toMatch(/level=error|permission denied/);
    const missing = namesRead(/\b(pg_[a-z_]+)/g).filter((n) => !names(series).has(n));
    expect(missing).toEqual([]);
    expect(namesRead(/\b(pg_[a-z_]+)/g)).toEqual(
      expect.arrayContaining(['pg_stat_database_numbackends', 'pg_stat_database_xact_commit', 'pg_up']),
    );
    // its own connection shows in the database it was pointed at
    const backends = [...series].find(
      ([s]) => s.startsWith('pg_stat_database_numbackends{') && s.includes(`datname="${db!.name}"`),
    );
    expect(backends?.[1]).toBeGreaterThanOrEqual(1);
  });

  it('connects as a role that reads no table of the platform (pg_monitor reads statistics, not data)', async () => {
    const url = databaseUrl(DATABASE_URL, db!.name);
    await expect(psql(url, `SET ROLE ${role}; SELECT count(*) FROM event_log`)).rejects.toThrow(/permission denied/);
    await expect(psql(url, `SET ROLE ${role}; SELECT count(*) FROM trade`)).rejects.toThrow(/permission denied/);
  });
});
