import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { requirePostgresBinaries } from './binaries.js';
import { ServerStartError } from './errors.js';
import { getFreePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { initDataDir, isDataDir, postgresArgs, postgresRunAs, prepareDataDir } from './postgres-data-dir.js';
import { sleep } from './wait.js';

/** How to shut PostgreSQL down: smart waits for clients, fast disconnects them, immediate crashes (recovery on start). */
export type PostgresStopMode = 'smart' | 'fast' | 'immediate';

/** The postmaster signal for each shutdown mode. */
const STOP_SIGNALS: Record<PostgresStopMode, NodeJS.Signals> = {
  smart: 'SIGTERM',
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
};

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /**
   * Data directory: initialised when empty or missing, reused when it already holds a cluster; kept by close().
   * @defaultValue a fresh directory under os.tmpdir(), removed by close()
   */
  dir?: string;
  /**
   * TCP port on 127.0.0.1.
   * @defaultValue a free port (re-picked if another process takes it first)
   */
  port?: number;
  /**
   * fsync on commit. Off survives a killed server (the OS keeps the writes) but not a host crash,
   * which is what tests and `make dev` need, and much faster.
   * @defaultValue false
   */
  fsync?: boolean;
  /**
   * Extra server settings, passed as `-c key=value`.
   * @defaultValue {}
   */
  settings?: Record<string, string | number>;
  /**
   * How long to wait for the server to accept a connection.
   * @defaultValue 30000
   */
  readyTimeoutMs?: number;
}

/** A local PostgreSQL server started by this process. */
export interface PostgresHandle {
  readonly host: string;
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication). */
  readonly url: string;
  /** The data directory. */
  readonly dir: string;
  readonly logPath: string;
  /** Pid of the postmaster, undefined while it is down. */
  readonly pid: number | undefined;
  /** Shut down in `mode` and wait for the exit. */
  stop(mode?: PostgresStopMode): Promise<void>;
  /** Send `signal` to the postmaster and wait for its exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same data directory and port (fast shutdown first if running). */
  restart(): Promise<void>;
  /** Fast shutdown, then remove the data directory if the launcher created it. Idempotent. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS = 3;
/** After a SIGKILL, orphaned backends may hold shared memory a moment longer; a restart retries meanwhile. */
const RESTART_ATTEMPTS = 10;

/** initdb (if needed) and start `postgres`; resolves once it accepts a connection and answers `select 1`. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const { initdb, postgres } = requirePostgresBinaries();
  const runAs = postgresRunAs();
  const ownsDir = options.dir === undefined;
  const dir = ownsDir ? mkdtempSync(join(tmpdir(), 'recio-pg-')) : resolve(options.dir as string);
  const settings = { fsync: options.fsync === true ? 'on' : 'off', ...options.settings };
  try {
    prepareDataDir(dir, runAs);
    if (!isDataDir(dir)) await initDataDir(initdb, dir, runAs, options.fsync === true);
  } catch (err) {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await getFreePort());
    const proc = new ManagedProcess({
      command: postgres,
      args: postgresArgs(dir, port, settings),
      logPath: join(dir, 'postgres.log'),
      cwd: dir,
      uid: runAs?.uid,
      gid: runAs?.gid,
    });
    const server = new PostgresServer(proc, port, dir, ownsDir, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    try {
      await server.startAndWait();
      return server;
    } catch (err) {
      await proc.signal('SIGKILL').catch(() => undefined);
      const retry = err instanceof ServerStartError && err.code === 'ERR_TOPOLOGY_SERVER_EXITED' && attempt < attempts;
      if (!retry) {
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

/** Resolves true when `select 1` succeeds on `url`; rejects with the connection error otherwise. */
export async function probePostgres(url: string, timeoutMs = 2000): Promise<true> {
  await withClient(url, timeoutMs, (c) => c.query('select 1'));
  return true;
}

/** The server's data directory (superuser only), which identifies the server behind a port. */
export async function dataDirectoryAt(url: string): Promise<string> {
  const { rows } = await withClient(url, 1000, (c) =>
    c.query<{ dir: string }>("select current_setting('data_directory') as dir"),
  );
  return rows[0]?.dir ?? '';
}

async function withClient<T>(url: string, timeoutMs: number, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A server shutting down mid-query emits 'error' on the client; the query promise reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

class PostgresServer implements PostgresHandle {
  readonly host = '127.0.0.1';
  readonly url: string;
  readonly logPath: string;
  #closing: Promise<void> | undefined;

  constructor(
    private readonly proc: ManagedProcess,
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly readyTimeoutMs: number,
  ) {
    this.url = `postgres://postgres@${this.host}:${port}/postgres`;
    this.logPath = proc.spec.logPath;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  async startAndWait(): Promise<void> {
    this.proc.start();
    // Ready means *our* server answers (its data directory), not another one holding the port.
    await this.proc.waitUntilReady(
      `postgres on port ${this.port}`,
      async () => (await dataDirectoryAt(this.url)) === this.dir,
      this.readyTimeoutMs,
    );
  }

  stop(mode: PostgresStopMode = 'fast'): Promise<void> {
    return this.proc.signal(STOP_SIGNALS[mode]);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.proc.signal(signal);
  }

  async restart(): Promise<void> {
    if (this.#closing !== undefined) throw new Error(`postgres on port ${this.port} is closed`);
    await this.stop('fast');
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startAndWait();
        return;
      } catch (err) {
        if (
          !(err instanceof ServerStartError && err.code === 'ERR_TOPOLOGY_SERVER_EXITED') ||
          attempt >= RESTART_ATTEMPTS
        )
          throw err;
        await sleep(300);
      }
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.stop('fast');
    } catch {
      await this.proc.signal('SIGKILL').catch(() => undefined);
    }
    if (this.ownsDir) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch {
        // best effort: a leftover temp directory is harmless
      }
    }
  }
}
