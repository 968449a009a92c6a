import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killAndWait, until } from '@recio/test-support';

// Debian's Prometheus and exporters (scripts/ensure-tools.sh installs them), run as processes of the
// test, as the charts run them in a cluster: the observability test reads the dashboards' queries
// and the alert rules in a real Prometheus scraping the local platform.

/** A binary the test started, answering HTTP on `url`. */
export interface Started {
  url: string;
  port: number;
  child: ChildProcess;
  close(): Promise<void>;
}

/** Starts `command` (its output appended to `logFile`) and waits until `readyPath` on its port answers 200. */
async function startBinary(
  command: string,
  args: (port: number) => string[],
  options: { env?: Record<string, string>; logFile: string; readyPath: string },
): Promise<Started> {
  const port = await freePort();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args(port), {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  // A binary that exits (a bad flag, a port taken) fails the start at once, not after the wait.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`${command} exited (${code ?? signal}); see ${options.logFile}`)),
    ),
  );
  exited.catch(() => undefined); // once ready, an exit is close()'s business
  const ready = until(`${command} ready`, async () => (await fetch(`${url}${options.readyPath}`)).ok, {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  ready.catch(() => undefined); // when the exit wins the race, the wait's own failure comes later
  await Promise.race([ready, exited]).catch(async (err: unknown) => {
    await killAndWait(child, 'SIGKILL');
    throw err;
  });
  return { url, port, child, close: () => killAndWait(child, 'SIGTERM') };
}

/** redis_exporter on `redisUrl` (as `user`, when given). */
export function startRedisExporter(
  redisUrl: string,
  logFile: string,
  user?: { name: string; password: string },
): Promise<Started> {
  return startBinary('prometheus-redis-exporter', (port) => ['--web.listen-address', `127.0.0.1:${port}`], {
    env: {
      REDIS_ADDR: redisUrl,
      ...(user ? { REDIS_USER: user.name, REDIS_PASSWORD: user.password } : {}),
    },
    logFile,
    readyPath: '/metrics',
  });
}

/** postgres_exporter on `databaseUrl`. */
export function startPostgresExporter(databaseUrl: string, logFile: string): Promise<Started> {
  const dsn = new URL(databaseUrl);
  dsn.searchParams.set('sslmode', 'disable');
  return startBinary('prometheus-postgres-exporter', (port) => ['--web.listen-address', `127.0.0.1:${port}`], {
    env: { DATA_SOURCE_NAME: dsn.toString() },
    logFile,
    readyPath: '/metrics',
  });
}

/** One scrape job: its name, targets (`host:port`) and labels every series of it gets. */
export interface ScrapeJob {
  job: string;
  targets: { address: string; labels?: Record<string, string> }[];
}

/** A result of an instant query: one series. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A scrape target as /api/v1/targets lists it. */
export interface Target {
  scrapeUrl: string;
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

/** A Prometheus alert as /api/v1/alerts lists it. */
export interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

/** A Prometheus server of the test's own, scraping `jobs` every second and evaluating `ruleFiles`. */
export class PrometheusServer {
  private constructor(
    readonly server: Started,
    readonly dir: string,
  ) {}

  static async start(options: { jobs: ScrapeJob[]; ruleFiles: string[]; logFile: string }): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'recio-prometheus-'));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles,
      scrape_configs: options.jobs.map((j) => ({
        job_name: j.job,
        static_configs: j.targets.map((t) => ({ targets: [t.address], labels: t.labels ?? {} })),
      })),
    };
    try {
      // JSON is YAML: the config needs no YAML library.
      await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 1));
      const server = await startBinary(
        'prometheus',
        (port) => [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          // The test's alerts are read from /api/v1/alerts; no Alertmanager.
          '--log.level=warn',
        ],
        { logFile: options.logFile, readyPath: '/-/ready' },
      );
      return new PrometheusServer(server, dir);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return this.server.url;
  }

  async #api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  /** An instant query at now. */
  async query(expr: string): Promise<Sample[]> {
    return (await this.#api<{ result: Sample[] }>('query', { query: expr })).result;
  }

  /** The alerts pending or firing now. */
  async alerts(): Promise<Alert[]> {
    return (await this.#api<{ alerts: Alert[] }>('alerts')).alerts;
  }

  /** Every scrape target's health (`up`/`down`) and last error. */
  async targets(): Promise<Target[]> {
    return (await this.#api<{ activeTargets: Target[] }>('targets')).activeTargets;
  }

  async close(): Promise<void> {
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
