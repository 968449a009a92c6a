import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireBinary } from './binaries.js';
import { ServerStartError } from './errors.js';
import { getFreePort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';
import { redisServesAs, type RedisTarget } from './redis-client.js';
import { renderRedisConf, type RedisConfOptions } from './redis-conf.js';
import { renderSentinelConf, type SentinelConfOptions } from './sentinel-conf.js';

/** A local redis-server (or sentinel) started by this process. */
export interface RedisServerHandle {
  readonly kind: 'redis' | 'sentinel';
  readonly host: string;
  readonly port: number;
  /** `redis://[:password@]host:port`. */
  readonly url: string;
  /** Working directory holding the config file, the log, AOF/RDB and nodes.conf. */
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  /** Pid of the running server, undefined while it is down. */
  readonly pid: number | undefined;
  /** SIGTERM (Redis writes its AOF/RDB and exits) and wait for the exit. */
  stop(): Promise<void>;
  /** Send `signal` and wait for the exit: a crash, nothing is flushed. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again with the same config file, directory and port (stops it first if running). */
  restart(): Promise<void>;
  /** Stop, then remove the directory if the launcher created it. Idempotent. */
  close(): Promise<void>;
}

/** Options shared by {@link startRedisServer} and {@link startSentinel}. */
export interface LaunchOptions {
  /**
   * TCP port.
   * @defaultValue a free port (re-picked if another process takes it first)
   */
  port?: number;
  /**
   * Working directory, created if missing and kept by close().
   * @defaultValue a fresh directory under os.tmpdir(), removed by close()
   */
  dir?: string;
  /**
   * How long to wait for the first PONG.
   * @defaultValue 15000
   */
  readyTimeoutMs?: number;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions extends LaunchOptions {
  /**
   * Server settings, rendered by renderRedisConf; `port` and `dir` come from the launcher.
   * @defaultValue renderRedisConf's defaults (AOF everysec + RDB, noeviction, bind 127.0.0.1)
   */
  config?: Omit<RedisConfOptions, 'port' | 'dir'>;
}

/** Options of {@link startSentinel}. */
export interface SentinelServerOptions extends LaunchOptions {
  /** Sentinel settings, rendered by renderSentinelConf; `port` and `dir` come from the launcher. */
  config: Omit<SentinelConfOptions, 'port' | 'dir'>;
}

const READY_TIMEOUT_MS = 15_000;
/** Start attempts when the port was picked here: a picked port can be taken before Redis binds it. */
const PORT_ATTEMPTS = 3;
const CLUSTER_BUS_OFFSET = 10_000;

/** Starts `redis-server <dir>/redis.conf` and resolves once it answers PING. */
export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const config = options.config ?? {};
  return launch('redis', options, {
    render: (port, dir) => renderRedisConf({ ...config, port, dir }),
    password: config.requirePass,
    bind: config.bind,
    companionOffsets: config.cluster?.enabled ? [CLUSTER_BUS_OFFSET] : [],
  });
}

/** Starts `redis-server <dir>/sentinel.conf --sentinel` and resolves once it answers PING. */
export function startSentinel(options: SentinelServerOptions): Promise<RedisServerHandle> {
  return launch('sentinel', options, {
    render: (port, dir) => renderSentinelConf({ ...options.config, port, dir }),
    password: undefined,
    bind: options.config.bind,
    companionOffsets: [],
  });
}

interface LaunchPlan {
  render(port: number, dir: string): string;
  password: string | undefined;
  bind: string | string[] | undefined;
  companionOffsets: number[];
}

async function launch(
  kind: 'redis' | 'sentinel',
  options: LaunchOptions,
  plan: LaunchPlan,
): Promise<RedisServerHandle> {
  const binary = requireBinary('redis-server');
  const ownsDir = options.dir === undefined;
  const dir = ownsDir ? mkdtempSync(join(tmpdir(), `recio-${kind}-`)) : resolve(options.dir as string);
  mkdirSync(dir, { recursive: true });
  const host = connectHost(plan.bind);
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const confPath = join(dir, `${kind}.conf`);
  const logPath = join(dir, `${kind}.log`);
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;

  for (let attempt = 1; ; attempt++) {
    let proc: ManagedProcess | undefined;
    try {
      const port = options.port ?? (await getFreePort({ host, companionOffsets: plan.companionOffsets }));
      writeFileSync(confPath, plan.render(port, dir));
      const args = kind === 'sentinel' ? [confPath, '--sentinel'] : [confPath];
      proc = new ManagedProcess({ command: binary, args, logPath, cwd: dir });
      const server = new RedisServer(
        kind,
        proc,
        { host, port, password: plan.password },
        { dir, confPath, logPath, ownsDir, readyTimeoutMs },
      );
      await server.startAndWait();
      return server;
    } catch (err) {
      await proc?.signal('SIGKILL').catch(() => undefined);
      const retry = err instanceof ServerStartError && err.code === 'ERR_TOPOLOGY_SERVER_EXITED' && attempt < attempts;
      if (!retry) {
        if (ownsDir) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

/** The address clients use: the first bound address, or loopback when bound to a wildcard. */
function connectHost(bind: string | string[] | undefined): string {
  const first = (Array.isArray(bind) ? bind[0] : bind)?.replace(/^-/, '');
  if (first === undefined || first === '*' || first === '0.0.0.0' || first === '::' || first === '::*')
    return '127.0.0.1';
  return first;
}

class RedisServer implements RedisServerHandle {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  readonly #target: RedisTarget;
  readonly #ownsDir: boolean;
  readonly #readyTimeoutMs: number;
  #closing: Promise<void> | undefined;

  constructor(
    readonly kind: 'redis' | 'sentinel',
    private readonly proc: ManagedProcess,
    target: RedisTarget,
    paths: { dir: string; confPath: string; logPath: string; ownsDir: boolean; readyTimeoutMs: number },
  ) {
    this.#target = target;
    this.host = target.host;
    this.port = target.port;
    const auth = target.password === undefined ? '' : `:${encodeURIComponent(target.password)}@`;
    this.url = `redis://${auth}${target.host}:${target.port}`;
    this.dir = paths.dir;
    this.confPath = paths.confPath;
    this.logPath = paths.logPath;
    this.#ownsDir = paths.ownsDir;
    this.#readyTimeoutMs = paths.readyTimeoutMs;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  async startAndWait(): Promise<void> {
    this.proc.start();
    await this.proc.waitUntilReady(
      `${this.kind} on port ${this.port}`,
      () => redisServesAs(this.#target, this.proc.pid),
      this.#readyTimeoutMs,
    );
  }

  stop(): Promise<void> {
    return this.proc.signal('SIGTERM');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return this.proc.signal(signal);
  }

  async restart(): Promise<void> {
    if (this.#closing !== undefined) throw new Error(`${this.kind} on port ${this.port} is closed`);
    await this.stop();
    await this.startAndWait();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      await this.stop();
    } catch {
      await this.proc.signal('SIGKILL').catch(() => undefined);
    }
    if (this.#ownsDir) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch {
        // best effort: a leftover temp directory is harmless
      }
    }
  }
}
